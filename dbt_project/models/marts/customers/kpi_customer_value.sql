{#- Customer lifetime value per customer account (grain: account_id; a customer is an account
    with a won opportunity by the as-of date): historical (lifetime_revenue) and forward-looking
    (forward_clv). Definitions: the `kpi_*` doc blocks in
    the KPI catalog (seeds/kpi_catalog.csv).

    forward_clv = annual_revenue_rate × var('clv_gross_margin') × var('clv_expected_lifetime_years'). -#}
{%- set gross_margin = var('clv_gross_margin', 1.0) -%}
{%- set expected_lifetime_years = var('clv_expected_lifetime_years', 3) -%}
{%- set annualised_months = 'case when customer_tenure_months < 12 then 12 else customer_tenure_months end' -%}
{%- if not (0 < gross_margin | float <= 1) -%}
    {{ exceptions.raise_compiler_error(
        "var clv_gross_margin must be a fraction in (0, 1], got " ~ gross_margin
    ) }}
{%- endif -%}
{%- if not (expected_lifetime_years | float > 0) -%}
    {{ exceptions.raise_compiler_error(
        "var clv_expected_lifetime_years must be a positive number of years, got " ~ expected_lifetime_years
    ) }}
{%- endif %}
with

accounts as (

    select * from {{ ref('dim_accounts') }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

customers as (

    select * from accounts
    where is_customer

),

last_wins as (

    select
        account_id,
        max(close_date) as last_won_date
    from opportunities
    where
        is_won
        and close_date <= {{ as_of_date() }}
        and account_id is not null
    group by account_id

),

customer_wins as (

    select
        customers.account_id,
        customers.owner_id,
        customers.first_won_date,
        last_wins.last_won_date,
        customers.won_opportunities,
        customers.lifetime_revenue,
        {{ dbt.datediff('customers.first_won_date', as_of_date(), 'month') }}
            as months_since_first_win
    from customers
    left join last_wins
        on last_wins.account_id = customers.account_id

),

tenures as (

    select
        *,
        -- A customer won in the as-of month has been one for a month, not zero.
        cast(case when months_since_first_win < 1 then 1 else months_since_first_win end as {{ dbt.type_bigint() }})
            as customer_tenure_months
    from customer_wins

),

kpis as (

    select
        account_id,
        owner_id,
        first_won_date,
        last_won_date,
        won_opportunities,
        lifetime_revenue,
        customer_tenure_months,
        -- annualised over at least 12 months: one deal won this month is not a 12x yearly rate
        {{ safe_divide('lifetime_revenue * 12', annualised_months) }} as annual_revenue_rate,
        (
            {{ safe_divide('lifetime_revenue * 12', annualised_months) }}
            * cast({{ gross_margin }} as {{ type_double() }})
            * cast({{ expected_lifetime_years }} as {{ type_double() }})
        ) as forward_clv
    from tenures

),

-- KPIs whose objects the export lacks are NULL: not measured (macros/not_measured.sql).
final as (

    {{ select_measured('kpis', 'kpi_customer_value') }}

)

select * from final
