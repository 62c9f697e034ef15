{#- The company's customer-value KPIs as of the as-of date (grain: one row, as_of_date).
    Definitions: the `kpi_*` doc blocks in the KPI catalog (seeds/kpi_catalog.csv). -#}
with

customer_value as (

    select * from {{ ref('kpi_customer_value') }}

),

kpis as (

    -- An aggregate without GROUP BY: exactly one row, also when there is no customer.
    select
        {{ as_of_date() }} as as_of_date,
        count(*) as customers,
        count(
            case
                when first_won_date > cast({{ dbt.dateadd('month', -12, as_of_date()) }} as date)
                    and first_won_date <= {{ as_of_date() }}
                    then 1
            end
        ) as new_customers_last_12_months,
        {{ safe_divide('sum(lifetime_revenue)', 'count(*)') }} as avg_lifetime_revenue,
        {{ safe_divide('sum(forward_clv)', 'count(*)') }} as avg_forward_clv,
        coalesce(sum(lifetime_revenue), 0) as total_lifetime_revenue
    from customer_value

),

-- KPIs whose objects the export lacks are NULL: not measured (macros/not_measured.sql).
final as (

    {{ select_measured('kpis', 'kpi_customer_value_summary') }}

)

select * from final
