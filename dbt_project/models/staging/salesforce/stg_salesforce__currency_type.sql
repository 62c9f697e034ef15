with

source as (

    select * from {{ source('salesforce', 'currency_type') }}

),

renamed as (

    select
        id as currency_type_id,
        iso_code as currency_iso_code,
        -- Units of this currency per one unit of the corporate currency.
        conversion_rate,
        decimal_places,
        is_active,
        -- Partial exports may leave IsCorporate empty; exactly one currency is the corporate one
        -- and it is flagged explicitly, so an empty flag means "not corporate".
        coalesce(is_corporate, false) as is_corporate,
        created_date as created_at,
        last_modified_date as last_modified_at,
        system_modstamp as system_modstamp_at,
        _loaded_at as loaded_at

    from source

),

final as (

    -- CurrencyType has no IsDeleted: a removed currency is deactivated (is_active = false).
    select * from renamed

)

select * from final
