{#- The contract KPIs by calendar month, per owner (`by_owner=true`) or for the whole company.

    Written once and used by both contract marts, so the company numbers are the rep numbers
    computed without the owner split (medians included, which cannot be summed from reps).
    Definitions: see the `kpi_*` doc blocks in models/docs/kpi_definitions.md. -#}
{% macro monthly_kpis(by_owner) %}
{%- set owner = 'owner_id, ' if by_owner else '' -%}
with

leads as (

    select * from {{ ref('int_lead_activity_summary') }}

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

lead_measures as (

    select
        created_month as month,
        {{ owner }}
        count(*) as leads_created,
        count(case when is_converted then 1 end) as leads_converted,
        count(case when activity_count >= 1 then 1 end) as leads_contacted,
        count(case when activity_count >= 2 then 1 end) as leads_followed_up,
        cast(percentile_cont(0.5) within group (order by response_hours) as {{ type_double() }})
            as median_lead_response_hours
    from leads
    group by {{ owner }} created_month

),

created_measures as (

    select
        created_month as month,
        {{ owner }}
        count(*) as opportunities_created,
        sum(coalesce(amount_corporate, 0)) as pipeline_created_amount
    from opportunities
    where created_at < {{ as_of_cutoff() }}
    group by {{ owner }} created_month

),

closed_measures as (

    select
        close_month as month,
        {{ owner }}
        count(case when is_won then 1 end) as opportunities_won,
        count(case when is_lost then 1 end) as opportunities_lost,
        sum(case when is_won then coalesce(amount_corporate, 0) else 0 end) as bookings_amount,
        count(case when is_won and amount is not null then 1 end) as won_with_amount,
        avg(case when is_won then cast(sales_cycle_days as {{ type_double() }}) end)
            as avg_sales_cycle_days
    from opportunities
    where is_closed and close_date <= {{ as_of_date() }}
    group by {{ owner }} close_month

),

quota_measures as (

    select
        month,
        {{ owner }}
        sum(quota_amount) as quota_amount
    from quotas
    group by {{ owner }} month

),

{% if by_owner %}
-- An owner has a row for a month when any count or the quota in it is non-zero.
grain as (

    select month, owner_id from lead_measures
    union
    select month, owner_id from created_measures
    union
    select month, owner_id from closed_measures
    union
    select month, owner_id from quota_measures where quota_amount <> 0

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

final as (

    select
        grain.month,
        {% if by_owner %}grain.owner_id,{% endif %}
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
    {%- for measures in ['lead_measures', 'created_measures', 'closed_measures', 'quota_measures'] %}
    left join {{ measures }}
        on {{ measures }}.month = grain.month
        {%- if by_owner %}
        and {{ measures }}.owner_id is not distinct from grain.owner_id
        {%- endif %}
    {%- endfor %}

)

select * from final
{% endmacro %}
