with

source as (

    select * from {{ source('salesforce', 'email_message') }}

),

renamed as (

    select
        id as email_message_id,
        parent_id,
        activity_id,
        related_to_id,
        created_by_id,
        subject,
        from_address,
        to_address,
        -- Salesforce's status code, kept as is: '0' New, '1' Read, '2' Replied, '3' Sent,
        -- '4' Forwarded, '5' Draft.
        status,
        -- Partial exports may leave these flags empty; each is false until Salesforce (or the
        -- tracking tool) records otherwise, its default on create.
        coalesce(incoming, false) as is_incoming,
        coalesce(is_tracked, false) as is_tracked,
        coalesce(is_opened, false) as is_opened,
        coalesce(is_bounced, false) as is_bounced,
        click_count,
        message_date as message_at,
        first_opened_date as first_opened_at,
        last_opened_date as last_opened_at,
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
