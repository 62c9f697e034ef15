{#- The open pipeline per owner as it stood at two moments of each month, rebuilt from the
    opportunity history: at the end of the month (or the end of the as-of day for the current
    month), and at the start of the month for the deals then expected to close in it (the
    numerator of pipeline coverage). A table: its tests would compute it again, each, as a view. -#}
{{ config(materialized='table') }}

with

states as (

    select * from {{ ref('int_opportunity_states') }}

),

calendar as (

    select * from {{ ref('dim_date') }}

),

months as (

    select distinct
        month_start as month,
        cast({{ dbt.dateadd('month', 1, 'month_start') }} as {{ dbt.type_timestamp() }}) as next_month_start
    from calendar
    where month_start >= (select {{ month_of('min(valid_from)') }} from states)
        and month_start <= {{ month_of(as_of_date()) }}

),

open_states as (

    -- an unknown stage (not in the opportunity_stages seed) counts as open
    select * from states
    where not coalesce(is_closed, false)

),

month_end as (

    select
        months.month,
        open_states.owner_id,
        count(distinct open_states.opportunity_id) as open_opportunities,
        sum(coalesce(open_states.amount_corporate, 0)) as open_pipeline_amount,
        sum(coalesce(open_states.amount_corporate, 0) * coalesce(open_states.probability, 0))
            as weighted_pipeline_amount
    from months
    inner join open_states
        on open_states.valid_from < least(months.next_month_start, {{ as_of_cutoff() }})
        and (
            open_states.valid_to is null
            or open_states.valid_to >= least(months.next_month_start, {{ as_of_cutoff() }})
        )
    group by months.month, open_states.owner_id

),

month_start as (

    select
        months.month,
        open_states.owner_id,
        sum(coalesce(open_states.amount_corporate, 0)) as pipeline_closing_in_month
    from months
    inner join open_states
        on open_states.valid_from < months.month
        and (open_states.valid_to is null or open_states.valid_to >= months.month)
        and open_states.close_date >= months.month
        and open_states.close_date < months.next_month_start
    group by months.month, open_states.owner_id

),

final as (

    select
        coalesce(month_end.month, month_start.month) as month,
        coalesce(month_end.owner_id, month_start.owner_id) as owner_id,
        coalesce(month_end.open_opportunities, 0) as open_opportunities,
        coalesce(month_end.open_pipeline_amount, 0) as open_pipeline_amount,
        coalesce(month_end.weighted_pipeline_amount, 0) as weighted_pipeline_amount,
        coalesce(month_start.pipeline_closing_in_month, 0) as pipeline_closing_in_month
    from month_end
    full outer join month_start
        on month_start.month = month_end.month
        and month_start.owner_id is not distinct from month_end.owner_id

)

select * from final
