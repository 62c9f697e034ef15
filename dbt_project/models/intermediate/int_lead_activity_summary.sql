{#- One row per lead: how many activities touched it and when the first one happened.

    An activity is a completed Task (timed by its CreatedDate) or an Event (timed by its
    StartDateTime) whose WhoId is the lead. Only activities at or after the lead's creation and
    before the end of the as-of day count: earlier ones are data-entry mistakes, later ones are
    not yet known on the as-of date. -#}
with

leads as (

    select * from {{ ref('stg_salesforce__lead') }}

),

tasks as (

    select * from {{ ref('stg_salesforce__task') }}

),

events as (

    select * from {{ ref('stg_salesforce__event') }}

),

activities as (

    select who_id as lead_id, created_at as activity_at
    from tasks
    where status = 'Completed'

    union all

    select who_id as lead_id, start_at as activity_at
    from events

),

lead_activities as (

    select
        leads.lead_id,
        count(activities.activity_at) as activity_count,
        min(activities.activity_at) as first_activity_at
    from leads
    left join activities
        on activities.lead_id = leads.lead_id
        and activities.activity_at >= leads.created_at
        and activities.activity_at < {{ as_of_cutoff() }}
    group by leads.lead_id

),

final as (

    select
        leads.lead_id,
        leads.owner_id,
        leads.created_at,
        {{ month_of('leads.created_at') }} as created_month,
        leads.is_converted,
        lead_activities.activity_count,
        lead_activities.first_activity_at,
        {{ dbt.datediff('leads.created_at', 'lead_activities.first_activity_at', 'millisecond') }}
            / 3600000.0 as response_hours
    from leads
    inner join lead_activities on lead_activities.lead_id = leads.lead_id
    where leads.created_at < {{ as_of_cutoff() }}

)

select * from final
