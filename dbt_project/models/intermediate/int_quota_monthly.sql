{#- Quota per owner and calendar month, in the corporate currency. -#}
with

quotas as (

    select * from {{ ref('stg_salesforce__forecasting_quota') }}

),

currency_rates as (

    select * from {{ ref('int_currency_rates') }}

),

converted as (

    select
        quotas.quota_owner_id as owner_id,
        {{ month_of('quotas.start_date') }} as month,
        quotas.quota_amount / {{ conversion_rate('quotas.currency_iso_code') }} as quota_amount
    from quotas
    {{ join_conversion_rates('quotas.currency_iso_code') }}
    where quotas.start_date <= {{ as_of_date() }}

),

final as (

    select
        owner_id,
        month,
        sum(quota_amount) as quota_amount
    from converted
    group by owner_id, month

)

select * from final
