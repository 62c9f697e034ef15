{#- The sales events summed per owner and calendar month: the one aggregation of int_sales_events
    that the monthly and quarterly KPI marts read at every grain (fiscal quarters are whole
    months), so the events, tens of millions of rows in a large org, are summed once for both. -#}
{{ config(materialized='table') }}

with

events as (

    select * from {{ ref('int_sales_events') }}

),

final as (

    select
        event_month,
        owner_id,
        {{ sum_measures(sales_event_measures()) }}
    from events
    group by event_month, owner_id

)

select * from final
