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

emails as (

    select * from {{ ref('stg_salesforce__email_message') }}

),

tasks as (

    select * from {{ ref('stg_salesforce__task') }}

),

content_links as (

    select * from {{ ref('stg_salesforce__content_distribution') }}

),

campaign_members as (

    select * from {{ ref('stg_salesforce__campaign_member') }}

),

contacts as (

    select * from {{ ref('stg_salesforce__contact') }}

),

accounts as (

    select * from {{ ref('stg_salesforce__account') }}

),

surveys as (

    select * from {{ ref('stg_salesforce__survey_response') }}

),

outbound_emails as (

    -- the sender is the owner of the email's task, else whoever created the email
    select
        emails.*,
        coalesce(tasks.owner_id, emails.created_by_id) as sender_id
    from emails
    left join tasks on tasks.task_id = emails.activity_id
    where not emails.is_incoming and emails.message_at < {{ as_of_cutoff() }}

),

opportunities_created as (

    select
        opportunities.*,
        exists(
            select 1 from content_links
            where content_links.related_record_id = opportunities.opportunity_id
                and content_links.created_at < {{ as_of_cutoff() }}
        ) as has_collateral
    from opportunities
    where opportunities.created_at < {{ as_of_cutoff() }}

),

campaign_responses as (

    select
        campaign_members.*,
        coalesce(leads.owner_id, contacts.owner_id) as member_owner_id
    from campaign_members
    left join leads on leads.lead_id = campaign_members.lead_id
    left join contacts on contacts.contact_id = campaign_members.contact_id
    where campaign_members.has_responded
        and campaign_members.first_responded_date <= {{ as_of_date() }}

),

survey_answers as (

    -- attributed to the owner of the surveyed deal, else of the account, else of the response
    select
        surveys.*,
        coalesce(opportunities.owner_id, accounts.owner_id, surveys.owner_id) as attributed_owner_id
    from surveys
    left join opportunities on opportunities.opportunity_id = surveys.opportunity_id
    left join accounts on accounts.account_id = surveys.account_id
    where surveys.responded_at < {{ as_of_cutoff() }}

),

first_wins as (

    -- an account becomes a customer with its first won opportunity
    select *
    from (
        select
            opportunities.*,
            row_number() over (
                partition by opportunities.account_id
                order by opportunities.close_date, opportunities.created_at, opportunities.opportunity_id
            ) as win_number
        from opportunities
        where opportunities.is_won
            and opportunities.close_date <= {{ as_of_date() }}
            and opportunities.account_id is not null
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

    {{ sales_event_branch('email', 'message_at', 'sender_id', {
        'emails_sent': '1',
        'emails_tracked': 'case when is_tracked then 1 else 0 end',
        'emails_opened': 'case when is_tracked and is_opened and first_opened_at < ' ~ as_of_cutoff()
            ~ ' then 1 else 0 end',
        'emails_clicked': 'case when is_tracked and coalesce(click_count, 0) > 0 then 1 else 0 end',
    }, 'from outbound_emails') }}

    union all

    {{ sales_event_branch('opportunity_created', 'created_at', 'owner_id', {
        'opportunities_created': '1',
        'opportunities_with_collateral': 'case when has_collateral then 1 else 0 end',
    }, 'from opportunities_created') }}

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

    {{ sales_event_branch('campaign_response', 'first_responded_date', 'member_owner_id', {
        'campaign_responses': '1',
    }, 'from campaign_responses') }}

    union all

    {{ sales_event_branch('survey_response', 'responded_at', 'attributed_owner_id', {
        'survey_responses': '1',
        'csat_responses': 'case when csat_score is not null then 1 else 0 end',
        'csat_score_total': 'cast(coalesce(csat_score, 0) as ' ~ type_double() ~ ')',
        'csat_satisfied': 'case when csat_score >= 4 then 1 else 0 end',
        'nps_responses': 'case when nps_score is not null then 1 else 0 end',
        'nps_promoters': 'case when nps_score >= 9 then 1 else 0 end',
        'nps_detractors': 'case when nps_score <= 6 then 1 else 0 end',
    }, 'from survey_answers') }}

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
