{#- One row per live lead created by the end of the as-of day: its first response, touches,
    conversion, and whether it became a customer (its converted account has a won deal).

    A touch is a done activity (see fct_activities: a completed task, or an event that started
    by the end of the as-of day) whose WhoId is the lead, at or after the lead's creation: earlier
    ones are data-entry mistakes.

    Incremental per lead: a run after a merge load recomputes a lead only when its inputs changed
    (see `_inputs_fingerprint`); leads that are gone are deleted by the post-hook. A run after a
    full export is a full refresh. -#}
{{
    config(
        materialized=incremental_materialization(),
        unique_key='lead_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        post_hook=[
            "{% if is_incremental() %}delete from {{ this }} where lead_id not in (select lead_id from {{ ref('stg_salesforce__lead') }} where created_at < " ~ as_of_cutoff() ~ "){% endif %}"
        ],
    )
}}

with

leads as (

    select * from {{ ref('stg_salesforce__lead') }}

),

activities as (

    select * from {{ ref('fct_activities') }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

customer_accounts as (

    select distinct account_id
    from opportunities
    where is_won and close_date <= {{ as_of_date() }}

),

live_leads as (

    select
        leads.*,
        leads.is_converted and customer_accounts.account_id is not null as became_customer
    from leads
    left join customer_accounts on customer_accounts.account_id = leads.converted_account_id
    where leads.created_at < {{ as_of_cutoff() }}

),

lead_activities as (

    select
        activities.who_id as lead_id,
        activities.activity_id,
        activities.activity_at,
        activities.loaded_at
    from activities
    where activities.is_done
        and activities.who_id in (select live_leads.lead_id from live_leads)

),

lead_inputs as (

    -- everything a lead's row is computed from: the lead record, whether its account is a
    -- customer by the as-of date, and its done activities (each with its load time)
    select
        lead_id,
        {{ inputs_fingerprint(['input_id', 'loaded_at', 'became_customer']) }} as _inputs_fingerprint
    from (
        select
            lead_id,
            lead_id as input_id,
            loaded_at,
            became_customer
        from live_leads
        union all
        select
            lead_id,
            activity_id,
            loaded_at,
            null as became_customer
        from lead_activities
    ) as inputs
    group by lead_id

),

leads_to_process as (

    select lead_inputs.*
    from lead_inputs
    {% if is_incremental() %}
    where {{ inputs_changed('lead_inputs', 'lead_id') }}
    {% endif %}

),

touches as (

    select
        leads_to_process.lead_id,
        count(lead_activities.activity_id) as touches,
        min(lead_activities.activity_at) as first_activity_at
    from leads_to_process
    inner join live_leads on live_leads.lead_id = leads_to_process.lead_id
    left join lead_activities
        on lead_activities.lead_id = leads_to_process.lead_id
        and lead_activities.activity_at >= live_leads.created_at
    group by leads_to_process.lead_id

),

final as (

    select
        live_leads.lead_id,
        live_leads.owner_id,
        live_leads.lead_source,
        live_leads.status,
        live_leads.industry,
        live_leads.created_at,
        {{ month_of('live_leads.created_at') }} as created_month,
        touches.touches,
        touches.first_activity_at,
        {{ to_double(dbt.datediff('live_leads.created_at', 'touches.first_activity_at', 'millisecond')) }}
        / 3600000 as response_hours,
        touches.touches >= 1 as is_contacted,
        touches.touches >= 2 as is_followed_up,
        live_leads.is_converted,
        live_leads.converted_date,
        live_leads.converted_account_id,
        live_leads.converted_contact_id,
        live_leads.converted_opportunity_id,
        live_leads.became_customer,
        leads_to_process._inputs_fingerprint
    from leads_to_process
    inner join live_leads on live_leads.lead_id = leads_to_process.lead_id
    inner join touches on touches.lead_id = leads_to_process.lead_id

)

select * from final
