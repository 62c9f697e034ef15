with

source as (

    select * from {{ source('salesforce', 'opportunity') }}

),

renamed as (

    select
        id as opportunity_id,
        account_id,
        owner_id,
        campaign_id,
        name as opportunity_name,
        stage_name,
        type as opportunity_type,
        lead_source,
        forecast_category,
        forecast_category_name,
        amount,
        -- Salesforce stores Probability as 0-100; downstream models use a 0-1 fraction.
        probability / 100.0 as probability,
        -- NULL in a single-currency org: amounts are then already in the corporate currency.
        currency_iso_code,
        is_closed,
        is_won,
        close_date,
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
