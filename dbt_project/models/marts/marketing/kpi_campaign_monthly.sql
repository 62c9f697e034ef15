{#- Company-wide campaign KPIs by calendar month (grain: month), every month from the first with
    campaign members or responses to the as-of month. Definitions: the `kpi_*` doc blocks in
    the KPI catalog (seeds/kpi_catalog.csv). -#}
with

campaign_members as (

    select * from {{ ref('fct_campaign_members') }}

),

calendar as (

    select * from {{ ref('dim_date') }}

),

known_members as (

    select
        *,
        coalesce(has_responded and first_responded_date <= {{ as_of_date() }}, false)
            as has_responded_by_as_of
    from campaign_members
    where created_at < {{ as_of_cutoff() }}

),

response_measures as (

    select
        {{ month_of('first_responded_date') }} as month,
        count(*) as campaign_responses
    from known_members
    where has_responded_by_as_of
    group by {{ month_of('first_responded_date') }}

),

added_measures as (

    select
        created_month as month,
        count(*) as campaign_members_added,
        count(case when has_responded_by_as_of then 1 end) as campaign_members_added_responded
    from known_members
    group by created_month

),

active_months as (

    select month from response_measures
    union
    select month from added_measures

),

-- Every month from the first with any data to the as-of month, with no gaps.
grain as (

    select distinct calendar.month_start as month
    from calendar
    where calendar.month_start >= (select min(active_months.month) from active_months)
        and calendar.month_start <= {{ month_of(as_of_date()) }}

),

kpis as (

    select
        grain.month,
        coalesce(response_measures.campaign_responses, 0) as campaign_responses,
        coalesce(added_measures.campaign_members_added, 0) as campaign_members_added,
        {{ safe_divide(
            'added_measures.campaign_members_added_responded',
            'added_measures.campaign_members_added'
        ) }} as campaign_response_rate
    from grain
    left join response_measures
        on response_measures.month = grain.month
    left join added_measures
        on added_measures.month = grain.month

),

-- KPIs whose objects the export lacks are NULL: not measured (macros/not_measured.sql).
final as (

    {{ select_measured('kpis', 'kpi_campaign_monthly') }}

)

select * from final
