{#- The contract KPIs of `mart` by calendar month, per `entity`: 'owner_id' (rep), 'team_id' (the owner's
    manager, see dim_users) or none (the whole company).

    Written once and used by every contract-shaped mart, so the company numbers are the rep numbers
    computed without the owner split (medians included, which cannot be summed from reps).
    Definitions: see the `kpi_*` doc blocks in models/docs/kpi_catalog.md (from seeds/kpi_catalog.csv). -#}
{% macro monthly_kpis(mart, entity=none) %}
{%- set by_entity = entity is not none -%}
with

leads as (

    select * from {{ ref('fct_leads') }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

quotas as (

    select * from {{ ref('int_quota_monthly') }}

),

calendar as (

    select * from {{ ref('dim_date') }}

),

owners as (

    select * from {{ ref('dim_users') }}

),

lead_measures as (

    select
        leads.created_month as month,
        {{ entity_select(entity, 'leads') }}
        count(*) as leads_created,
        count(case when is_converted then 1 end) as leads_converted,
        count(case when is_contacted then 1 end) as leads_contacted,
        count(case when is_followed_up then 1 end) as leads_followed_up,
        cast(percentile_cont(0.5) within group (order by response_hours) as {{ type_double() }})
            as median_lead_response_hours
    from leads
    {{ entity_join(entity, 'leads') }}
    group by {{ entity_group(entity, 'leads') }} leads.created_month

),

created_measures as (

    select
        opportunities.created_month as month,
        {{ entity_select(entity, 'opportunities') }}
        count(*) as opportunities_created,
        sum(coalesce(amount_corporate, 0)) as pipeline_created_amount
    from opportunities
    {{ entity_join(entity, 'opportunities') }}
    where opportunities.created_at < {{ as_of_cutoff() }}
    group by {{ entity_group(entity, 'opportunities') }} opportunities.created_month

),

closed_measures as (

    select
        opportunities.close_month as month,
        {{ entity_select(entity, 'opportunities') }}
        count(case when is_won then 1 end) as opportunities_won,
        count(case when is_lost then 1 end) as opportunities_lost,
        sum(case when is_won then coalesce(amount_corporate, 0) else 0 end) as bookings_amount,
        count(case when is_won and amount is not null then 1 end) as won_with_amount,
        avg(case when is_won then cast(sales_cycle_days as {{ type_double() }}) end)
            as avg_sales_cycle_days
    from opportunities
    {{ entity_join(entity, 'opportunities') }}
    where opportunities.is_closed and opportunities.close_date <= {{ as_of_date() }}
    group by {{ entity_group(entity, 'opportunities') }} opportunities.close_month

),

quota_measures as (

    select
        quotas.month,
        {{ entity_select(entity, 'quotas') }}
        sum(quotas.quota_amount) as quota_amount
    from quotas
    {{ entity_join(entity, 'quotas') }}
    group by {{ entity_group(entity, 'quotas') }} quotas.month

),

{% if by_entity %}
-- An owner (or team) has a row for a month when any count or the quota in it is non-zero.
grain as (

    select month, {{ entity }} from lead_measures
    union
    select month, {{ entity }} from created_measures
    union
    select month, {{ entity }} from closed_measures
    union
    select month, {{ entity }} from quota_measures where quota_amount <> 0

),
{% else %}
-- Every month from the first with any data to the as-of month, with no gaps.
active_months as (

    select month from lead_measures
    union
    select month from created_measures
    union
    select month from closed_measures
    union
    select month from quota_measures where quota_amount <> 0

),

grain as (

    select distinct calendar.month_start as month
    from calendar
    where calendar.month_start >= (select min(month) from active_months)
        and calendar.month_start <= {{ month_of(as_of_date()) }}

),
{% endif %}

kpis as (

    select
        grain.month,
        {% if by_entity %}grain.{{ entity }},{% endif %}
        {#- a rep's rows say which team they roll up to, as the team mart counts them #}
        {% if entity == 'owner_id' %}{{ owner_team_id('grain') }} as team_id,{% endif %}
        coalesce(lead_measures.leads_created, 0) as leads_created,
        coalesce(lead_measures.leads_converted, 0) as leads_converted,
        {{ safe_divide('lead_measures.leads_converted', 'lead_measures.leads_created') }}
            as lead_conversion_rate,
        coalesce(lead_measures.leads_contacted, 0) as leads_contacted,
        {{ safe_divide('lead_measures.leads_contacted', 'lead_measures.leads_created') }}
            as rate_of_contact,
        {{ safe_divide('lead_measures.leads_followed_up', 'lead_measures.leads_contacted') }}
            as rate_of_follow_up,
        lead_measures.median_lead_response_hours,
        coalesce(created_measures.opportunities_created, 0) as opportunities_created,
        cast(coalesce(created_measures.pipeline_created_amount, 0) as {{ type_double() }})
            as pipeline_created_amount,
        coalesce(closed_measures.opportunities_won, 0) as opportunities_won,
        coalesce(closed_measures.opportunities_lost, 0) as opportunities_lost,
        {{ safe_divide(
            'closed_measures.opportunities_won',
            'closed_measures.opportunities_won + closed_measures.opportunities_lost'
        ) }} as win_rate,
        cast(coalesce(closed_measures.bookings_amount, 0) as {{ type_double() }}) as bookings_amount,
        {{ safe_divide('closed_measures.bookings_amount', 'closed_measures.won_with_amount') }}
            as avg_deal_size,
        closed_measures.avg_sales_cycle_days,
        cast(coalesce(quota_measures.quota_amount, 0) as {{ type_double() }}) as quota_amount,
        -- an owner with quota but no closed deal has attained 0, not NULL
        {{ safe_divide('coalesce(closed_measures.bookings_amount, 0)', 'quota_measures.quota_amount') }}
            as quota_attainment
    from grain
    {%- if entity == 'owner_id' %}
    left join owners on owners.user_id = grain.owner_id
    {%- endif %}
    {%- for measures in ['lead_measures', 'created_measures', 'closed_measures', 'quota_measures'] %}
    left join {{ measures }}
        on {{ measures }}.month = grain.month
        {%- if by_entity %}
        and {{ measures }}.{{ entity }} is not distinct from grain.{{ entity }}
        {%- endif %}
    {%- endfor %}

),

-- KPIs whose objects the export lacks are NULL: not measured (macros/not_measured.sql).
final as (

    {{ select_measured('kpis', mart) }}

)

select * from final
{% endmacro %}


{#- The entity column of a measure row: the owner, or the owner's team (an owner missing from
    User is a team of their own, so no row is lost). -#}
{% macro entity_select(entity, relation) -%}
    {%- if entity is not none -%}{{ entity_expression(entity, relation) }} as {{ entity }},{%- endif -%}
{%- endmacro %}

{% macro entity_expression(entity, relation) -%}
    {%- if entity == 'owner_id' -%}{{ relation }}.owner_id
    {%- elif entity == 'team_id' -%}{{ owner_team_id(relation) }}
    {%- endif -%}
{%- endmacro %}

{% macro entity_group(entity, relation) -%}
    {%- if entity is not none -%}{{ entity_expression(entity, relation) }},{%- endif -%}
{%- endmacro %}

{% macro entity_join(entity, relation) -%}
    {%- if entity == 'team_id' -%}left join owners on owners.user_id = {{ relation }}.owner_id{%- endif -%}
{%- endmacro %}
