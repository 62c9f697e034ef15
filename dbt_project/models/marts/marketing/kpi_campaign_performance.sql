{#- Campaign KPIs as of the as-of date (grain: campaign_id), for the campaigns created by then:
    reach and response from campaign members, influence and return from the opportunities whose
    primary campaign source (Opportunity.CampaignId) is the campaign. Definitions: the `kpi_*`
    doc blocks in the KPI catalog (seeds/kpi_catalog.csv). -#}
with

campaigns as (

    select * from {{ ref('dim_campaigns') }}

),

campaign_members as (

    select * from {{ ref('fct_campaign_members') }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

known_campaigns as (

    select * from campaigns
    where created_at < {{ as_of_cutoff() }}

),

member_measures as (

    select
        campaign_id,
        count(*) as members,
        count(
            case when has_responded and first_responded_date <= {{ as_of_date() }} then 1 end
        ) as responses
    from campaign_members
    where created_at < {{ as_of_cutoff() }}
    group by campaign_id

),

opportunity_measures as (

    select
        campaign_id,
        count(case when created_at < {{ as_of_cutoff() }} then 1 end) as influenced_opportunities,
        sum(
            case when created_at < {{ as_of_cutoff() }} then coalesce(amount_corporate, 0) else 0 end
        ) as influenced_pipeline_amount,
        count(case when is_won and close_date <= {{ as_of_date() }} then 1 end) as won_opportunities,
        sum(
            case when is_won and close_date <= {{ as_of_date() }} then coalesce(amount_corporate, 0) else 0 end
        ) as won_revenue
    from opportunities
    where campaign_id is not null
    group by campaign_id

),

measures as (

    select
        known_campaigns.campaign_id,
        known_campaigns.campaign_name,
        known_campaigns.campaign_type,
        coalesce(member_measures.members, 0) as members,
        coalesce(member_measures.responses, 0) as responses,
        coalesce(opportunity_measures.influenced_opportunities, 0) as influenced_opportunities,
        coalesce(opportunity_measures.influenced_pipeline_amount, 0) as influenced_pipeline_amount,
        coalesce(opportunity_measures.won_opportunities, 0) as won_opportunities,
        coalesce(opportunity_measures.won_revenue, 0) as won_revenue,
        -- NULL cost stays NULL (not recorded), so the ROI is unknown rather than infinite or 0.
        cast(known_campaigns.actual_cost as {{ type_double() }}) as actual_cost
    from known_campaigns
    left join member_measures
        on member_measures.campaign_id = known_campaigns.campaign_id
    left join opportunity_measures
        on opportunity_measures.campaign_id = known_campaigns.campaign_id

),

kpis as (

    select
        campaign_id,
        campaign_name,
        campaign_type,
        members,
        responses,
        {{ safe_divide('responses', 'members') }} as response_rate,
        influenced_opportunities,
        influenced_pipeline_amount,
        won_opportunities,
        won_revenue,
        actual_cost,
        {{ safe_divide('won_revenue - actual_cost', 'actual_cost') }} as campaign_roi,
        {{ safe_divide('actual_cost', 'responses') }} as cost_per_response
    from measures

),

-- KPIs whose objects the export lacks are NULL: not measured (macros/not_measured.sql).
final as (

    {{ select_measured('kpis', 'kpi_campaign_performance') }}

)

select * from final
