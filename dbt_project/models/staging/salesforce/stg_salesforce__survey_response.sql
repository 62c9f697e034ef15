with

source as (

    -- The custom object Survey_Response__c. Fivetran's snake_case makes it survey_response_c and
    -- its custom fields csat_c, nps_c, ...; they get clean names here.
    select * from {{ source('salesforce', 'survey_response_c') }}

),

renamed as (

    select
        id as survey_response_id,
        account_c as account_id,
        opportunity_c as opportunity_id,
        contact_c as contact_id,
        owner_id,
        name as survey_response_name,
        survey_type_c as survey_type,
        csat_c as csat_score,
        nps_c as nps_score,
        comment_c as comment,
        responded_at_c as responded_at,
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
