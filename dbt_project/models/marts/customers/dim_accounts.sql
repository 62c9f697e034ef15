{#- One row per (non-deleted) account, with whether it is a customer as of the as-of date and
    what it has bought by then. Definitions: the `kpi_*` doc blocks in
    the KPI catalog (seeds/kpi_catalog.csv). -#}
with

accounts as (

    select * from {{ ref('stg_salesforce__account') }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

won_opportunities as (

    select * from opportunities
    where is_won
        and close_date <= {{ as_of_date() }}
        and account_id is not null

),

wins_by_account as (

    select
        account_id,
        min(close_date) as first_won_date,
        count(*) as won_opportunities,
        sum(coalesce(amount_corporate, 0)) as lifetime_revenue
    from won_opportunities
    group by account_id

),

final as (

    select
        accounts.account_id,
        accounts.account_name,
        accounts.account_type,
        accounts.industry,
        accounts.billing_country,
        accounts.owner_id,
        accounts.parent_id,
        accounts.created_at,
        wins_by_account.first_won_date,
        coalesce(wins_by_account.won_opportunities, 0) > 0 as is_customer,
        coalesce(wins_by_account.won_opportunities, 0) as won_opportunities,
        coalesce(wins_by_account.lifetime_revenue, 0) as lifetime_revenue
    from accounts
    left join wins_by_account
        on wins_by_account.account_id = accounts.account_id

)

select * from final
