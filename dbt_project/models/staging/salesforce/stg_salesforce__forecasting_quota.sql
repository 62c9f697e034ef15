with

source as (

    select * from {{ source('salesforce', 'forecasting_quota') }}

),

renamed as (

    select
        id as forecasting_quota_id,
        quota_owner_id,
        forecasting_type_id,
        -- NULL in a single-currency org: amounts are then already in the corporate currency.
        currency_iso_code,
        quota_amount,
        quota_quantity,
        is_amount,
        is_quantity,
        start_date,
        created_date as created_at,
        last_modified_date as last_modified_at,
        system_modstamp as system_modstamp_at,
        _loaded_at as loaded_at

    from source

),

final as (

    -- ForecastingQuota has no IsDeleted: deleted quotas simply disappear from the export.
    select * from renamed

)

select * from final
