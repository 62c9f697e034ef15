with

source as (

    select * from {{ source('salesforce', 'campaign_member') }}

),

renamed as (

    select
        id as campaign_member_id,
        campaign_id,
        lead_id,
        contact_id,
        status,
        -- Partial exports may leave HasResponded empty; a member has not responded until
        -- Salesforce records a response (its default on create).
        coalesce(has_responded, false) as has_responded,
        first_responded_date,
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
