{#- Every recorded state of every live opportunity, with the interval it held: stage, amount
    (also in the corporate currency), probability and close date as OpportunityHistory wrote them.
    Joining a date into these intervals gives the pipeline as it stood on that date. A table: two
    models read it, and its test would compute it again as a view. -#}
{{ config(materialized='table') }}

with

history as (

    select * from {{ ref('stg_salesforce__opportunity_history') }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

stages as (

    select * from {{ ref('opportunity_stages') }}

),

ordered as (

    select
        history.opportunity_history_id,
        history.opportunity_id,
        history.stage_name,
        history.amount,
        history.probability,
        history.close_date,
        history.created_at as valid_from,
        history.loaded_at,
        lead(history.created_at) over (
            partition by history.opportunity_id
            order by history.created_at, history.opportunity_history_id
        ) as valid_to
    from history
    where history.created_at < {{ as_of_cutoff() }}

),

final as (

    select
        ordered.opportunity_history_id,
        ordered.opportunity_id,
        opportunities.owner_id,
        ordered.stage_name,
        stages.sort_order as stage_sort_order,
        stages.is_closed,
        stages.is_won,
        ordered.amount,
        cast(ordered.amount as {{ type_double() }}) / opportunities.conversion_rate as amount_corporate,
        ordered.probability,
        ordered.close_date,
        ordered.valid_from,
        ordered.valid_to,
        ordered.loaded_at
    from ordered
    -- deleted opportunities are not in fct_opportunities, so their history drops out here
    inner join opportunities on opportunities.opportunity_id = ordered.opportunity_id
    left join stages on stages.stage_name = ordered.stage_name

)

select * from final
