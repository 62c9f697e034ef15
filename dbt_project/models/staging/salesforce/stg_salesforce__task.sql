with

source as (

    select * from {{ source('salesforce', 'task') }}

),

renamed as (

    select
        id as task_id,
        who_id,
        what_id,
        owner_id,
        subject,
        status,
        priority,
        type as task_type,
        task_subtype,
        call_type,
        call_duration_in_seconds,
        is_closed,
        activity_date,
        created_date as created_at,
        last_modified_date as last_modified_at,
        system_modstamp as system_modstamp_at,
        coalesce(is_deleted, false) as is_deleted,
        _loaded_at as loaded_at

    from source

),

final as (

    select * from renamed
    where not is_deleted

)

select * from final
