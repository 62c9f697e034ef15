{#- One row per currency with its rate against the corporate currency. A single-currency org
    (no CurrencyType rows) has none: its amounts are converted at rate 1 downstream. -#}
with

currency_types as (

    select * from {{ ref('stg_salesforce__currency_type') }}

),

final as (

    select
        currency_iso_code,
        conversion_rate,
        is_corporate
    from currency_types

)

select * from final
