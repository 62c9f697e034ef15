{#- The day-to-day signals by calendar day, per rep, team and company: the leading indicators a
    sales leader watches within the month, and the day's bookings. -#}
with

events as (

    select * from {{ ref('int_sales_events') }}

),

owners as (

    select * from {{ ref('dim_users') }}

),

event_rows as (

    select events.*, coalesce(owners.team_id, events.owner_id) as team_id
    from events
    left join owners on owners.user_id = events.owner_id
    -- quotas are monthly targets, not events of a day
    where events.event_source <> 'quota'

),

kpis as (

    select
        event_date as date_day,
        {{ entity_columns() }},
        {%- for measure in ['activities', 'calls', 'emails_logged', 'meetings', 'social_touches', 'emails_sent',
                            'leads_created', 'opportunities_created', 'opportunities_won',
                            'opportunities_lost', 'bookings_amount'] %}
        {{ sum_measure(measure) }} as {{ measure }}{{ ',' if not loop.last }}
        {%- endfor %}
    from event_rows
    group by {{ entity_grouping_sets('event_date') }}

),

-- KPIs whose objects the export lacks are NULL: not measured (macros/not_measured.sql).
final as (

    {{ select_measured('kpis', 'kpi_sales_daily') }}

)

select * from final
