with

source as (

    select * from {{ source('salesforce', 'lead') }}

),

renamed as (

    select
        id as lead_id,
        owner_id,
        converted_account_id,
        converted_contact_id,
        converted_opportunity_id,
        name as lead_name,
        first_name,
        last_name,
        company,
        email,
        status,
        lead_source,
        industry,
        -- Partial exports may leave IsConverted empty; a lead is unconverted until Salesforce
        -- says otherwise (its default on create).
        coalesce(is_converted, false) as is_converted,
        converted_date,
        created_date as created_at,
        last_modified_date as last_modified_at,
        system_modstamp as system_modstamp_at,
        coalesce(is_deleted, false) as is_deleted,
        _loaded_at as loaded_at

    from source

),

final as (

    select * from renamed
    where not is_deleted

)

select * from final
