{#- One row per (non-deleted) campaign with its descriptive attributes and costs. -#}
with

campaigns as (

    select * from {{ ref('stg_salesforce__campaign') }}

),

final as (

    select
        campaign_id,
        campaign_name,
        campaign_type,
        status,
        start_date,
        end_date,
        is_active,
        budgeted_cost,
        actual_cost,
        owner_id,
        parent_id,
        created_at
    from campaigns

)

select * from final
