with

source as (

    select * from {{ source('salesforce', 'event') }}

),

renamed as (

    select
        id as event_id,
        who_id,
        what_id,
        owner_id,
        subject,
        type as event_type,
        event_subtype,
        duration_in_minutes,
        activity_date,
        start_date_time as start_at,
        end_date_time as end_at,
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
