with

source as (

    select * from {{ source('salesforce', 'user') }}

),

renamed as (

    select
        id as user_id,
        user_role_id,
        manager_id,
        username,
        name as user_name,
        first_name,
        last_name,
        email,
        title,
        department,
        user_type,
        -- Partial exports may leave IsActive empty; a user present in an export is active unless
        -- it says otherwise (Salesforce's own default for new users).
        coalesce(is_active, true) as is_active,
        created_date as created_at,
        last_modified_date as last_modified_at,
        system_modstamp as system_modstamp_at,
        _loaded_at as loaded_at

    from source

),

final as (

    -- User has no IsDeleted: users are deactivated, never deleted.
    select * from renamed

)

select * from final
