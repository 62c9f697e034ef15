with

source as (

    select * from {{ source('salesforce', 'account') }}

),

renamed as (

    select
        id as account_id,
        owner_id,
        parent_id,
        name as account_name,
        type as account_type,
        industry,
        billing_country,
        billing_state,
        -- NULL in a single-currency org: amounts are then already in the corporate currency.
        currency_iso_code,
        annual_revenue,
        number_of_employees,
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
