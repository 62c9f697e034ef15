with

source as (

    select * from {{ source('salesforce', 'campaign') }}

),

renamed as (

    select
        id as campaign_id,
        parent_id,
        owner_id,
        name as campaign_name,
        type as campaign_type,
        status,
        budgeted_cost,
        actual_cost,
        expected_revenue,
        is_active,
        start_date,
        end_date,
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
