{#- Tasks and events in one table: who and what they concern, their channel, and whether they
    count as done on the as-of date. Activity KPIs count only done activities: a completed task
    (Status 'Completed'), or an event that started by the end of the as-of day. -#}
with

tasks as (

    select * from {{ ref('stg_salesforce__task') }}

),

events as (

    select * from {{ ref('stg_salesforce__event') }}

),

unioned as (

    select
        task_id as activity_id,
        'task' as activity_source,
        owner_id,
        who_id,
        what_id,
        subject,
        task_type as activity_type,
        task_subtype as activity_subtype,
        status,
        created_at as activity_at,
        status = 'Completed' as is_completed_status
    from tasks

    union all

    select
        event_id as activity_id,
        'event' as activity_source,
        owner_id,
        who_id,
        what_id,
        subject,
        event_type as activity_type,
        event_subtype as activity_subtype,
        cast(null as {{ dbt.type_string() }}) as status,
        start_at as activity_at,
        true as is_completed_status
    from events

),

final as (

    select
        activity_id,
        activity_source,
        owner_id,
        who_id,
        {{ salesforce_record_type('who_id') }} as who_type,
        what_id,
        {{ salesforce_record_type('what_id') }} as what_type,
        case
            when activity_source = 'event' then 'meeting'
            when lower(activity_type) = 'social' or lower(subject) like 'linkedin%' then 'social'
            when activity_subtype = 'Call' or activity_type = 'Call' then 'call'
            when activity_subtype = 'Email' or activity_type = 'Email' then 'email'
            when activity_type = 'Meeting' then 'meeting'
            else 'other'
        end as channel,
        subject,
        activity_type,
        activity_subtype,
        status,
        activity_at,
        cast(activity_at as date) as activity_date,
        {{ month_of('activity_at') }} as activity_month,
        is_completed_status and activity_at < {{ as_of_cutoff() }} as is_done
    from unioned

)

select * from final
