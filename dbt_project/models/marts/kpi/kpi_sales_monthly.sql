{#- The extended KPI catalog by calendar month, at three grains in one table: per rep, per team
    (the owner's manager) and for the company (entity_type / entity_id). -#}
with

monthly as (

    select * from {{ ref('int_sales_monthly') }}

),

pipeline as (

    select * from {{ ref('int_pipeline_snapshots_monthly') }}

),

owners as (

    select * from {{ ref('dim_users') }}

),

event_rows as (

    select
        monthly.*,
        {{ owner_team_id('monthly') }} as team_id
    from monthly
    left join owners on owners.user_id = monthly.owner_id

),

pipeline_rows as (

    select
        pipeline.*,
        {{ owner_team_id('pipeline') }} as team_id
    from pipeline
    left join owners on owners.user_id = pipeline.owner_id

),

event_totals as (

    select
        event_month as month,
        {{ entity_columns() }},
        {{ sum_measures(sales_event_measures()) }}
    from event_rows
    group by {{ entity_grouping_sets('event_month') }}  -- noqa: PRS

),

pipeline_totals as (

    select
        month,
        {{ entity_columns() }},
        cast(sum(open_opportunities) as {{ dbt.type_bigint() }}) as open_opportunities,
        sum(open_pipeline_amount) as open_pipeline_amount,
        sum(weighted_pipeline_amount) as weighted_pipeline_amount,
        sum(pipeline_closing_in_month) as pipeline_closing_in_month
    from pipeline_rows
    group by {{ entity_grouping_sets('month') }}  -- noqa: PRS

),

joined as (

    select
        coalesce(event_totals.month, pipeline_totals.month) as month,
        coalesce(event_totals.entity_type, pipeline_totals.entity_type) as entity_type,
        coalesce(event_totals.entity_id, pipeline_totals.entity_id) as entity_id,
        {%- for measure in sales_event_measures() %}
            coalesce(event_totals.{{ measure }}, 0) as {{ measure }},
        {%- endfor %}
        coalesce(pipeline_totals.open_opportunities, 0) as open_opportunities,
        coalesce(pipeline_totals.open_pipeline_amount, 0) as open_pipeline_amount,
        coalesce(pipeline_totals.weighted_pipeline_amount, 0) as weighted_pipeline_amount,
        coalesce(pipeline_totals.pipeline_closing_in_month, 0) as pipeline_closing_in_month
    from event_totals
    full outer join pipeline_totals
        on pipeline_totals.month = event_totals.month
        and pipeline_totals.entity_type = event_totals.entity_type
        and pipeline_totals.entity_id = event_totals.entity_id

),

kpis as (

    select
        current_month.month,
        current_month.entity_type,
        current_month.entity_id,
        -- activity
        current_month.activities,
        current_month.calls,
        current_month.emails_logged,
        current_month.meetings,
        current_month.social_touches,
        current_month.emails_sent,
        current_month.emails_tracked,
        current_month.emails_opened,
        {{ safe_divide('current_month.emails_opened', 'current_month.emails_tracked') }} as email_open_rate,
        current_month.emails_clicked,
        {{ safe_divide('current_month.emails_clicked', 'current_month.emails_tracked') }} as email_click_rate,
        -- funnel
        current_month.leads_created,
        current_month.leads_became_customers,
        {{ safe_divide('current_month.leads_became_customers', 'current_month.leads_created') }}
            as lead_to_customer_rate,
        current_month.opportunities_created,
        current_month.opportunities_with_collateral,
        {{ safe_divide('current_month.opportunities_with_collateral', 'current_month.opportunities_created') }}
            as collateral_usage_rate,
        current_month.opportunities_won,
        current_month.opportunities_lost,
        {{ safe_divide('current_month.opportunities_won',
                       'current_month.opportunities_won + current_month.opportunities_lost') }} as win_rate,
        {{ safe_divide('current_month.opportunities_created', 'current_month.opportunities_won') }}
            as opportunity_to_win_ratio,
        current_month.bookings_amount,
        current_month.lost_amount,
        {{ safe_divide('current_month.bookings_amount',
                       'current_month.bookings_amount + current_month.lost_amount') }} as win_rate_by_amount,
        current_month.new_customers,
        -- pipeline
        current_month.open_opportunities,
        current_month.open_pipeline_amount,
        current_month.weighted_pipeline_amount,
        current_month.pipeline_closing_in_month,
        {{ safe_divide('current_month.pipeline_closing_in_month', 'current_month.quota_amount') }}
            as pipeline_coverage,
        -- targets and growth
        current_month.quota_amount,
        {{ safe_divide('current_month.bookings_amount', 'current_month.quota_amount') }} as quota_attainment,
        current_month.bookings_amount - current_month.quota_amount as bookings_vs_quota,
        {{ period_growth('bookings_amount', 'current_month', 'previous_month') }} as bookings_growth_mom,
        {{ period_growth('bookings_amount', 'current_month', 'previous_year') }} as bookings_growth_yoy,
        -- marketing and customers
        current_month.campaign_responses,
        current_month.survey_responses,
        current_month.csat_responses,
        {{ safe_divide('current_month.csat_score_total', 'current_month.csat_responses') }} as avg_csat,
        {{ safe_divide('current_month.csat_satisfied', 'current_month.csat_responses') }} as csat_satisfaction_rate,
        current_month.nps_responses,
        100.0 * {{ safe_divide('current_month.nps_promoters - current_month.nps_detractors',
                               'current_month.nps_responses') }} as nps
    from joined as current_month
    {{ period_growth_join('joined', 'current_month', 'previous_month', 'month', 1) }}
    {{ period_growth_join('joined', 'current_month', 'previous_year', 'month', 12) }}

),

-- KPIs whose objects the export lacks are NULL: not measured (macros/not_measured.sql).
final as (

    {{ select_measured('kpis', 'kpi_sales_monthly') }}

)

select * from final
