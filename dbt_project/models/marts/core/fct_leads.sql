{#- One row per live lead created by the end of the as-of day: its first response, touches,
    conversion, and whether it became a customer (its converted account has a won deal). -#}
with

leads as (

    select * from {{ ref('stg_salesforce__lead') }}

),

lead_activity as (

    select * from {{ ref('int_lead_activity_summary') }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

customer_accounts as (

    select distinct account_id
    from opportunities
    where is_won and close_date <= {{ as_of_date() }}

),

final as (

    select
        leads.lead_id,
        leads.owner_id,
        leads.lead_source,
        leads.status,
        leads.industry,
        leads.created_at,
        lead_activity.created_month,
        lead_activity.activity_count as touches,
        lead_activity.first_activity_at,
        lead_activity.response_hours,
        lead_activity.activity_count >= 1 as is_contacted,
        lead_activity.activity_count >= 2 as is_followed_up,
        leads.is_converted,
        leads.converted_date,
        leads.converted_account_id,
        leads.converted_contact_id,
        leads.converted_opportunity_id,
        leads.is_converted and customer_accounts.account_id is not null as became_customer
    from leads
    inner join lead_activity on lead_activity.lead_id = leads.lead_id
    left join customer_accounts on customer_accounts.account_id = leads.converted_account_id

)

select * from final
