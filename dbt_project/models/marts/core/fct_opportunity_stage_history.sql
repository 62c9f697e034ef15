{#- One row per stage visit of a live opportunity: when it entered and left the stage, how long it
    stayed, where it came from and went next, and whether the move into it was a regression (to a
    stage earlier in the process). History rows that change only the amount or close date do not
    start a new visit. -#}
with

states as (

    select * from {{ ref('int_opportunity_states') }}

),

flagged as (

    select
        *,
        lag(stage_name) over (
            partition by opportunity_id order by valid_from, opportunity_history_id
        ) as previous_row_stage
    from states

),

visits as (

    select
        opportunity_id,
        owner_id,
        stage_name,
        stage_sort_order,
        is_closed,
        is_won,
        valid_from as entered_at,
        lead(valid_from) over (partition by opportunity_id order by valid_from, opportunity_history_id)
            as exited_at,
        lag(stage_name) over (partition by opportunity_id order by valid_from, opportunity_history_id)
            as previous_stage_name,
        lag(stage_sort_order) over (partition by opportunity_id order by valid_from, opportunity_history_id)
            as previous_stage_sort_order,
        lead(stage_name) over (partition by opportunity_id order by valid_from, opportunity_history_id)
            as next_stage_name,
        lead(stage_sort_order) over (partition by opportunity_id order by valid_from, opportunity_history_id)
            as next_stage_sort_order,
        lead(is_closed and not is_won) over (partition by opportunity_id order by valid_from, opportunity_history_id)
            as next_stage_is_lost,
        row_number() over (partition by opportunity_id order by valid_from, opportunity_history_id)
            as visit_number
    from flagged
    where previous_row_stage is null or previous_row_stage <> stage_name

),

final as (

    select
        {{ dbt.concat(['opportunity_id', "'-'", dbt.safe_cast('visit_number', dbt.type_string())]) }}
            as stage_visit_id,
        opportunity_id,
        owner_id,
        visit_number,
        stage_name,
        stage_sort_order,
        is_closed,
        is_won,
        entered_at,
        exited_at,
        {{ month_of('entered_at') }} as entered_month,
        exited_at is null as is_current_stage,
        -- time in the stage up to leaving it, or up to the end of the as-of day if still there
        {{ dbt.datediff('entered_at', 'coalesce(exited_at, ' ~ as_of_cutoff() ~ ')', 'second') }}
            / 86400.0 as days_in_stage,
        previous_stage_name,
        next_stage_name,
        coalesce(stage_sort_order < previous_stage_sort_order, false) as is_regression,
        -- left the stage forward: to a later stage that is not a lost close
        coalesce(
            exited_at is not null and next_stage_sort_order > stage_sort_order and not next_stage_is_lost,
            false
        ) as advanced_to_later_stage
    from visits

)

select * from final
