with

source as (

    select * from {{ source('salesforce', 'content_distribution') }}

),

renamed as (

    select
        id as content_distribution_id,
        content_version_id,
        related_record_id,
        owner_id,
        name as content_distribution_name,
        view_count,
        first_view_date as first_viewed_at,
        last_view_date as last_viewed_at,
        created_date as created_at,
        last_modified_date as last_modified_at,
        system_modstamp as system_modstamp_at,
        _loaded_at as loaded_at

    from source

),

final as (

    -- ContentDistribution has no IsDeleted: deleted links simply disappear from the export.
    select * from renamed

)

select * from final
