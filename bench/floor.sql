-- The floor `make bench` compares the pipeline with: the 17 contract KPIs per owner and month
-- (kpi_rep_monthly's columns), computed in one DuckDB script straight from the export's files,
-- with no validation, no checks and no publishing. bench/floor.py puts a view over each file
-- (`opportunity`, `lead`, `task`, `event`, `forecasting_quota`, `currency_type`, every column
-- as text) and sets the variable `as_of`; the result is the table `floor_rep_monthly`. Datetimes
-- are read as the loader reads them: a UTC offset converted to UTC, no offset taken as UTC.
-- The definitions follow the KPI contract (dbt_project/models/docs/), and tests/benchmark/test_floor.py
-- holds this script to the independent pandas computation in tests/support/kpi_reference.py.

create or replace temp table floor_rep_monthly as

with

params as (
    select getvariable('as_of')::date as as_of, getvariable('as_of')::date + 1 as cutoff
),

rates as (
    select "IsoCode" as iso_code, "ConversionRate"::double as rate from currency_type
),

opportunities as (
    select
        o."Id" as id,
        o."OwnerId" as owner_id,
        o."CreatedDate"::timestamptz::timestamp as created_at,
        o."CloseDate"::date as close_date,
        -- a record without a currency is in the corporate one; one in an unknown currency has no amount
        o."Amount"::double / case when o."CurrencyIsoCode" is null then 1 else r.rate end as amount,
        o."Amount" is not null as has_amount,
        coalesce(lower(o."IsWon") in ('true', '1'), false) as is_won,
        coalesce(lower(o."IsClosed") in ('true', '1'), false)
            and not coalesce(lower(o."IsWon") in ('true', '1'), false) as is_lost
    from opportunity as o
    left join rates as r on r.iso_code = o."CurrencyIsoCode"
    where lower(coalesce(o."IsDeleted", 'false')) not in ('true', '1')
),

leads as (
    select "Id" as id, "OwnerId" as owner_id, "CreatedDate"::timestamptz::timestamp as created_at,
           coalesce(lower("IsConverted") in ('true', '1'), false) as is_converted
    from lead, params
    where lower(coalesce("IsDeleted", 'false')) not in ('true', '1') and "CreatedDate"::timestamptz::timestamp < cutoff
),

activities as (
    select "WhoId" as who_id, "CreatedDate"::timestamptz::timestamp as at from task
    where lower(coalesce("IsDeleted", 'false')) not in ('true', '1') and "Status" = 'Completed'
    union all
    select "WhoId", "StartDateTime"::timestamptz::timestamp from event
    where lower(coalesce("IsDeleted", 'false')) not in ('true', '1')
),

lead_activity as (
    select leads.id, count(*) as touches, min(activities.at) as first_touch
    from leads
    join activities on activities.who_id = leads.id
    cross join params
    where activities.at >= leads.created_at and activities.at < params.cutoff
    group by leads.id
),

lead_months as (
    select
        date_trunc('month', leads.created_at)::date as month,
        leads.owner_id,
        count(*) as leads_created,
        count(*) filter (where is_converted) as leads_converted,
        count(*) filter (where touches >= 1) as leads_contacted,
        count(*) filter (where touches >= 2) as leads_followed_up,
        median(epoch(first_touch - leads.created_at) / 3600) as median_lead_response_hours
    from leads
    left join lead_activity using (id)
    group by all
),

created_months as (
    select date_trunc('month', created_at)::date as month, owner_id,
           count(*) as opportunities_created, coalesce(sum(amount), 0) as pipeline_created_amount
    from opportunities, params
    where created_at < cutoff
    group by all
),

closed_months as (
    select
        date_trunc('month', close_date)::date as month,
        owner_id,
        count(*) filter (where is_won) as opportunities_won,
        count(*) filter (where is_lost) as opportunities_lost,
        coalesce(sum(amount) filter (where is_won), 0) as bookings_amount,
        count(*) filter (where is_won and has_amount) as won_with_amount,
        avg(close_date - created_at::date) filter (where is_won) as avg_sales_cycle_days
    from opportunities, params
    where (is_won or is_lost) and close_date <= as_of
    group by all
),

quota_months as (
    select date_trunc('month', q."StartDate"::date)::date as month, q."QuotaOwnerId" as owner_id,
           sum(q."QuotaAmount"::double / case when q."CurrencyIsoCode" is null then 1 else r.rate end)
               as quota_amount
    from forecasting_quota as q
    left join rates as r on r.iso_code = q."CurrencyIsoCode"
    cross join params
    where q."StartDate"::date <= as_of
    group by all
),

joined as (
    select
        month, owner_id,
        coalesce(leads_created, 0) as leads_created,
        coalesce(leads_converted, 0) as leads_converted,
        coalesce(leads_contacted, 0) as leads_contacted,
        coalesce(leads_followed_up, 0) as leads_followed_up,
        median_lead_response_hours,
        coalesce(opportunities_created, 0) as opportunities_created,
        coalesce(pipeline_created_amount, 0) as pipeline_created_amount,
        coalesce(opportunities_won, 0) as opportunities_won,
        coalesce(opportunities_lost, 0) as opportunities_lost,
        coalesce(bookings_amount, 0) as bookings_amount,
        coalesce(won_with_amount, 0) as won_with_amount,
        avg_sales_cycle_days,
        coalesce(quota_amount, 0) as quota_amount
    from lead_months
    full join created_months using (month, owner_id)
    full join closed_months using (month, owner_id)
    full join quota_months using (month, owner_id)
),

final as (
    select
        month, owner_id,
        leads_created,
        leads_converted,
        leads_converted / nullif(leads_created, 0) as lead_conversion_rate,
        leads_contacted,
        leads_contacted / nullif(leads_created, 0) as rate_of_contact,
        leads_followed_up / nullif(leads_contacted, 0) as rate_of_follow_up,
        median_lead_response_hours,
        opportunities_created,
        pipeline_created_amount,
        opportunities_won,
        opportunities_lost,
        opportunities_won / nullif(opportunities_won + opportunities_lost, 0) as win_rate,
        bookings_amount,
        bookings_amount / nullif(won_with_amount, 0) as avg_deal_size,
        avg_sales_cycle_days,
        quota_amount,
        bookings_amount / nullif(quota_amount, 0) as quota_attainment
    from joined
    where leads_created + opportunities_created + opportunities_won + opportunities_lost > 0
       or quota_amount != 0
)

select * from final;
