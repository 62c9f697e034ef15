{#- One row per countable sales event (an activity, an email, a lead, an opportunity created or
    closed, a first win, a campaign response, a survey answer, a monthly quota), dated and
    attributed to an owner, with every additive measure as a column. The KPI marts aggregate it
    by day, month or quarter and by rep, team or company, so each measure is defined here once.
    Nothing dated after the as-of day is included. -#}
with

activities as (

    select * from {{ ref('fct_activities') }}

),

leads as (

    select * from {{ ref('fct_leads') }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

quotas as (

    select * from {{ ref('int_quota_monthly') }}

),

first_wins as (

    -- an account becomes a customer with its first won opportunity
    select *
    from (
        select
            opportunities.*,
            row_number() over (
                partition by account_id order by close_date, created_at, opportunity_id
            ) as win_number
        from opportunities
        where is_won and close_date <= {{ as_of_date() }} and account_id is not null
    ) as wins
    where win_number = 1

),

events as (

    {{ sales_event_branch('activity', 'activity_at', 'owner_id', {
        'activities': '1',
        'calls': "case when channel = 'call' then 1 else 0 end",
        'emails_logged': "case when channel = 'email' then 1 else 0 end",
        'meetings': "case when channel = 'meeting' then 1 else 0 end",
        'social_touches': "case when channel = 'social' then 1 else 0 end",
    }, 'from activities where is_done') }}

    union all

    {{ sales_event_branch('lead', 'created_at', 'owner_id', {
        'leads_created': '1',
        'leads_became_customers': 'case when became_customer then 1 else 0 end',
    }, 'from leads') }}

    union all

    {{ sales_event_branch('opportunity_created', 'created_at', 'owner_id', {
        'opportunities_created': '1',
    }, 'from opportunities where created_at < ' ~ as_of_cutoff()) }}

    union all

    {{ sales_event_branch('opportunity_closed', 'close_date', 'owner_id', {
        'opportunities_won': 'case when is_won then 1 else 0 end',
        'opportunities_lost': 'case when is_lost then 1 else 0 end',
        'bookings_amount': 'case when is_won then coalesce(amount_corporate, 0) else 0 end',
        'lost_amount': 'case when is_lost then coalesce(amount_corporate, 0) else 0 end',
    }, 'from opportunities where is_closed and close_date <= ' ~ as_of_date()) }}

    union all

    {{ sales_event_branch('first_win', 'close_date', 'owner_id', {
        'new_customers': '1',
    }, 'from first_wins') }}

    union all

    {{ sales_event_branch('quota', 'month', 'owner_id', {
        'quota_amount': 'quota_amount',
    }, 'from quotas') }}

),

final as (

    select
        *,
        {{ month_of('event_date') }} as event_month
    from events

)

select * from final
