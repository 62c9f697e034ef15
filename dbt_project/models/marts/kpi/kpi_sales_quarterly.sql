{#- Bookings, wins and growth by fiscal quarter (see dim_date and the fiscal_year_start_month
    var), per rep, team and company. Ratios are recomputed from the quarter's totals. -#}
with

monthly as (

    select * from {{ ref('int_sales_monthly') }}

),

owners as (

    select * from {{ ref('dim_users') }}

),

calendar as (

    select * from {{ ref('dim_date') }}

),

event_rows as (

    select
        monthly.*,
        calendar.fiscal_quarter_start as quarter,
        {{ owner_team_id('monthly') }} as team_id
    from monthly
    -- a fiscal quarter is three whole months: the quarter of a month's first day is the month's
    inner join calendar on calendar.date_day = monthly.event_month
    left join owners on owners.user_id = monthly.owner_id

),

totals as (

    select
        quarter,
        {{ entity_columns() }},
        {{ sum_measures(['activities', 'calls', 'meetings', 'emails_sent', 'opportunities_created',
                         'opportunities_won', 'opportunities_lost', 'bookings_amount', 'lost_amount',
                         'new_customers', 'quota_amount']) }}
    from event_rows
    group by {{ entity_grouping_sets('quarter') }}  -- noqa: PRS

),

kpis as (

    select
        current_quarter.quarter,
        current_quarter.entity_type,
        current_quarter.entity_id,
        current_quarter.activities,
        current_quarter.calls,
        current_quarter.meetings,
        current_quarter.emails_sent,
        current_quarter.opportunities_created,
        current_quarter.opportunities_won,
        current_quarter.opportunities_lost,
        {{ safe_divide('current_quarter.opportunities_won',
                       'current_quarter.opportunities_won + current_quarter.opportunities_lost') }} as win_rate,
        current_quarter.bookings_amount,
        {{ safe_divide('current_quarter.bookings_amount',
                       'current_quarter.bookings_amount + current_quarter.lost_amount') }} as win_rate_by_amount,
        current_quarter.new_customers,
        current_quarter.quota_amount,
        {{ safe_divide('current_quarter.bookings_amount', 'current_quarter.quota_amount') }} as quota_attainment,
        current_quarter.bookings_amount - current_quarter.quota_amount as bookings_vs_quota,
        {{ period_growth('bookings_amount', 'current_quarter', 'previous_quarter') }} as bookings_growth_qoq,
        {{ period_growth('bookings_amount', 'current_quarter', 'previous_year') }} as bookings_growth_yoy
    from totals as current_quarter
    {{ period_growth_join('totals', 'current_quarter', 'previous_quarter', 'quarter', 3) }}
    {{ period_growth_join('totals', 'current_quarter', 'previous_year', 'quarter', 12) }}

),

-- KPIs whose objects the export lacks are NULL: not measured (macros/not_measured.sql).
final as (

    {{ select_measured('kpis', 'kpi_sales_quarterly') }}

)

select * from final
