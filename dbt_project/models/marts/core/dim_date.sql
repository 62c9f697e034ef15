{#- One row per calendar day from `calendar_start_date` to a year after the as-of date, with the
    calendar and fiscal periods it belongs to (fiscal year named by the calendar year it ends in). -#}
with

days as (

    {{ dbt.date_spine(
        'day',
        "cast('" ~ var('calendar_start_date', '2000-01-01') ~ "' as date)",
        dbt.dateadd('year', 1, as_of_date())
    ) }}

),

calendar as (

    select
        cast(date_day as date) as date_day,
        {{ month_of('date_day') }} as month_start,
        cast({{ dbt.date_trunc('quarter', 'date_day') }} as date) as quarter_start,
        cast({{ dbt.date_trunc('year', 'date_day') }} as date) as year_start,
        cast(extract(year from date_day) as {{ dbt.type_bigint() }}) as calendar_year,
        cast(extract(quarter from date_day) as {{ dbt.type_bigint() }}) as calendar_quarter,
        cast(extract(month from date_day) as {{ dbt.type_bigint() }}) as calendar_month
    from days

),

final as (

    select
        *,
        {%- set start_month = var('fiscal_year_start_month') | int %}
        -- months since the start of the fiscal year, 0-11
        mod(cast(calendar_month as integer) - {{ start_month }} + 12, 12) as fiscal_month_index,
        cast(calendar_year as integer) + (
            case when {{ start_month }} > 1 and calendar_month >= {{ start_month }} then 1 else 0 end
        ) as fiscal_year,
        1 + cast(floor(mod(cast(calendar_month as integer) - {{ start_month }} + 12, 12) / 3) as integer)
            as fiscal_quarter,
        -- the first day of the fiscal quarter: back to the quarter's first month
        cast({{ dbt.dateadd(
            'month',
            '-1 * mod(mod(cast(calendar_month as integer) - ' ~ start_month ~ ' + 12, 12), 3)',
            'month_start'
        ) }} as date) as fiscal_quarter_start,
        date_day <= {{ as_of_date() }} as is_on_or_before_as_of
    from calendar

)

select * from final
