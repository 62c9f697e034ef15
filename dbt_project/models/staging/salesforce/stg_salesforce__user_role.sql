with

source as (

    select * from {{ source('salesforce', 'user_role') }}

),

renamed as (

    select
        id as user_role_id,
        parent_role_id,
        name as role_name,
        developer_name,
        last_modified_date as last_modified_at,
        system_modstamp as system_modstamp_at,
        _loaded_at as loaded_at

    from source

),

final as (

    -- UserRole has no IsDeleted: deleted roles simply disappear from the export.
    select * from renamed

)

select * from final
