with

source as (

    select * from {{ source('salesforce', 'opportunity_history') }}

),

renamed as (

    select
        id as opportunity_history_id,
        opportunity_id,
        created_by_id,
        stage_name,
        forecast_category,
        amount,
        expected_revenue,
        -- Salesforce stores Probability as 0-100; downstream models use a 0-1 fraction.
        probability / 100.0 as probability,
        close_date,
        created_date as created_at,
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
