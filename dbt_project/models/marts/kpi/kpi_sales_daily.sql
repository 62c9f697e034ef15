{#- The day-to-day signals by calendar day, per rep, team and company: the leading indicators a
    sales leader watches within the month, and the day's bookings. -#}
with

owner_days as (

    select * from {{ ref('int_sales_daily') }}

),

owners as (

    select * from {{ ref('dim_users') }}

),

event_rows as (

    select
        owner_days.*,
        {{ owner_team_id('owner_days') }} as team_id
    from owner_days
    left join owners on owners.user_id = owner_days.owner_id

),

kpis as (

    -- the rep rows are the owner-days themselves; the team and company rows sum them (one hash
    -- aggregation each, where grouping sets would group the owner-days again)
    select
        event_date as date_day,
        'rep' as entity_type,
        coalesce(owner_id, '(unassigned)') as entity_id,
        {{ sales_daily_measures() | join(', ') }}
    from event_rows

    union all

    select
        event_date as date_day,
        'team' as entity_type,
        coalesce(team_id, '(unassigned)') as entity_id,
        {{ sum_measures(sales_daily_measures()) }}
    from event_rows
    group by event_date, team_id

    union all

    select
        event_date as date_day,
        'company' as entity_type,
        'company' as entity_id,
        {{ sum_measures(sales_daily_measures()) }}
    from event_rows
    group by event_date

),

-- KPIs whose objects the export lacks are NULL: not measured (macros/not_measured.sql).
final as (

    {{ select_measured('kpis', 'kpi_sales_daily') }}

)

select * from final
