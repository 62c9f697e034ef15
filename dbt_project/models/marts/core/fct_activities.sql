{#- Tasks and events in one table: who and what they concern, their channel, and whether they
    count as done on the as-of date. Activity KPIs count only done activities: a completed task
    (Status 'Completed'), or an event that started by the end of the as-of day.

    Incremental, because activities are the biggest table of an org: a run after a merge load
    processes only the activities whose output can have changed (see `activities_to_process`);
    a run after a full export is a full refresh. -#}
{{
    config(
        materialized=incremental_materialization(),
        unique_key='activity_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        post_hook=[
            "{% if is_incremental() %}delete from {{ this }} where activity_id not in (select task_id from {{ ref('stg_salesforce__task') }} union all select event_id from {{ ref('stg_salesforce__event') }}){% endif %}"
        ],
    )
}}

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
        status = 'Completed' as is_completed_status,
        loaded_at
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
        true as is_completed_status,
        loaded_at
    from events

),

activities_to_process as (

    select unioned.*
    from unioned
    {% if is_incremental() %}
    {#- The output of an activity changes only when: its record changed (loaded since the last
        run), it is new here (new, or out of quarantine), or its is_done flips at the new as-of
        date (not done yet but due by now, or done but due after an earlier as-of date).
        Activities gone from staging are deleted by the post-hook. -#}
    left join {{ this }} as processed on processed.activity_id = unioned.activity_id
    where processed.activity_id is null
        or unioned.loaded_at > processed.loaded_at
        or processed.is_done <> (processed.is_completed_status and processed.activity_at < {{ as_of_cutoff() }})
    {% endif %}

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
        is_completed_status,
        is_completed_status and activity_at < {{ as_of_cutoff() }} as is_done,
        loaded_at
    from activities_to_process

)

select * from final
