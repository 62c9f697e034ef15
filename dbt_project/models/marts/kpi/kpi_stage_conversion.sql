{#- Stage-to-stage conversion and time in stage, by the fiscal quarter opportunities entered the
    stage, per rep, team and company. Only open stages of the process are measured: a visit is
    decided once it has left the stage, and converts when it moved to a later stage that is not
    a lost close. -#}
with

visits as (

    select * from {{ ref('fct_opportunity_stage_history') }}

),

owners as (

    select * from {{ ref('dim_users') }}

),

calendar as (

    select * from {{ ref('dim_date') }}

),

visit_rows as (

    select
        visits.*,
        calendar.fiscal_quarter_start as quarter,
        {{ owner_team_id('visits') }} as team_id
    from visits
    inner join calendar on calendar.date_day = cast(visits.entered_at as date)
    left join owners on owners.user_id = visits.owner_id
    where not coalesce(visits.is_closed, false)

),

kpis as (

    select
        quarter,
        stage_name,
        min(stage_sort_order) as stage_sort_order,
        {{ entity_columns() }},
        cast(count(*) as {{ dbt.type_bigint() }}) as stage_entries,
        cast(count(case when exited_at is not null then 1 end) as {{ dbt.type_bigint() }}) as stage_exits,
        cast(count(case when advanced_to_later_stage then 1 end) as {{ dbt.type_bigint() }}) as stage_advances,
        {{ safe_divide('count(case when advanced_to_later_stage then 1 end)',
                       'count(case when exited_at is not null then 1 end)') }} as stage_conversion_rate,
        -- summed in whole seconds, so the average does not depend on the order rows are added in
        {%- set seconds_in_stage = dbt.datediff('entered_at', 'exited_at', 'second') %}
        {{ safe_divide('sum(case when exited_at is not null then ' ~ seconds_in_stage ~ ' end)',
                       'count(case when exited_at is not null then 1 end)') }} / 86400.0 as avg_days_in_stage,
        cast(count(case when is_regression then 1 end) as {{ dbt.type_bigint() }}) as stage_regressions
    from visit_rows
    group by grouping sets (  -- noqa: PRS
        (quarter, stage_name, owner_id), (quarter, stage_name, team_id), (quarter, stage_name)
    )

),

-- KPIs whose objects the export lacks are NULL: not measured (macros/not_measured.sql).
final as (

    {{ select_measured('kpis', 'kpi_stage_conversion') }}

)

select * from final
