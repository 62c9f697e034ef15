{#- One row per (non-deleted) campaign member: a lead or a contact added to a campaign, with
    whether and when it responded. -#}
with

campaign_members as (

    select * from {{ ref('stg_salesforce__campaign_member') }}

),

final as (

    select
        campaign_member_id,
        campaign_id,
        -- A converted lead's membership carries both Ids; Salesforce then treats it as the
        -- contact's (CampaignMember.Type = 'Contact'), and so do we.
        case
            when contact_id is not null then 'contact'
            when lead_id is not null then 'lead'
        end as member_type,
        lead_id,
        contact_id,
        coalesce(contact_id, lead_id) as member_id,
        status,
        has_responded,
        first_responded_date,
        created_at,
        {{ month_of('created_at') }} as created_month
    from campaign_members

)

select * from final
