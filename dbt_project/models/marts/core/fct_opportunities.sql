{#- One row per (non-deleted) opportunity, with amounts in the corporate currency and the dates
    the KPIs bucket it by. -#}
with

opportunities as (

    select * from {{ ref('stg_salesforce__opportunity') }}

),

currency_rates as (

    select * from {{ ref('int_currency_rates') }}

),

converted as (

    select
        opportunities.*,
        {{ conversion_rate('opportunities.currency_iso_code') }} as conversion_rate
    from opportunities
    {{ join_conversion_rates('opportunities.currency_iso_code') }}

),

final as (

    select
        opportunity_id,
        account_id,
        owner_id,
        campaign_id,
        opportunity_name,
        stage_name,
        forecast_category,
        opportunity_type,
        lead_source,
        currency_iso_code,
        amount,
        conversion_rate,
        cast(amount as {{ type_double() }}) / conversion_rate as amount_corporate,
        probability,
        is_closed,
        is_won,
        is_closed and not is_won as is_lost,
        created_at,
        cast(created_at as date) as created_date,
        {{ month_of('created_at') }} as created_month,
        close_date,
        {{ month_of('close_date') }} as close_month,
        -- bigint on every engine (Postgres' date difference is an integer)
        cast(
            case
                when is_won then {{ dbt.datediff('cast(created_at as date)', 'close_date', 'day') }}
            end as {{ dbt.type_bigint() }}
        ) as sales_cycle_days
    from converted

)

select * from final
