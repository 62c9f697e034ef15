{#- The sales events summed per owner and calendar day, for the measures of the daily mart: one
    aggregation, from which the mart's rep, team and company rows are all grouped (as a CTE of the
    mart, DuckDB computed it once for each of the three). Quotas are monthly targets, not events of
    a day: they are left out. -#}
{{ config(materialized='table') }}

with

events as (

    select * from {{ ref('int_sales_events') }}

),

final as (

    select
        event_date,
        owner_id,
        {{ sum_measures(sales_daily_measures()) }}
    from events
    where event_source <> 'quota'
    group by event_date, owner_id

)

select * from final
