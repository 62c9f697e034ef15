{#- One row per stage visit of a live opportunity: when it entered and left the stage, how long it
    stayed, where it came from and went next, and whether the move into it was a regression (to a
    stage earlier in the process). History rows that change only the amount or close date do not
    start a new visit.

    Incremental per opportunity: a run after a merge load recomputes the visits of an opportunity
    only when its inputs changed (see `_inputs_fingerprint`) or it sits in an open stage, whose
    days_in_stage grows with the as-of date. Opportunities that are gone are deleted by the
    post-hook. A run after a full export is a full refresh. -#}
{{
    config(
        materialized=incremental_materialization(),
        unique_key='opportunity_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        post_hook=[
            "{% if is_incremental() %}delete from {{ this }} where opportunity_id not in (select opportunity_id from {{ ref('int_opportunity_states') }}){% endif %}"
        ],
    )
}}

with

states as (

    select * from {{ ref('int_opportunity_states') }}

),

opportunity_inputs as (

    -- everything the visits of one opportunity are computed from: its history rows up to the
    -- as-of date (each with its load time), its owner and the seed attributes of its stages
    select
        opportunity_id,
        {{ inputs_fingerprint(['opportunity_history_id', 'loaded_at', 'owner_id',
                               'stage_sort_order', 'is_closed', 'is_won']) }} as _inputs_fingerprint
    from states
    group by opportunity_id

),

opportunities_to_process as (

    select opportunity_inputs.*
    from opportunity_inputs
    {% if is_incremental() %}
    where {{ inputs_changed('opportunity_inputs', 'opportunity_id') }}
    -- an open current visit ages with the as-of date
    or opportunity_id in (
        select opportunity_id
        from {{ this }}
        where is_current_stage and not coalesce(is_closed, false)
            and days_in_stage
                <> {{ to_double(dbt.datediff('entered_at', as_of_cutoff(), 'second')) }} / 86400
    )
    {% endif %}

),

flagged as (

    select
        states.*,
        opportunities_to_process._inputs_fingerprint,
        lag(states.stage_name) over (
            partition by states.opportunity_id order by states.valid_from, states.opportunity_history_id
        ) as previous_row_stage
    from states
    inner join opportunities_to_process on opportunities_to_process.opportunity_id = states.opportunity_id

),

visits as (

    select
        opportunity_id,
        owner_id,
        stage_name,
        stage_sort_order,
        is_closed,
        is_won,
        _inputs_fingerprint,
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
        -- bigint on every engine (Spark's row_number is an int)
        cast(
            row_number() over (partition by opportunity_id order by valid_from, opportunity_history_id)
            as {{ dbt.type_bigint() }}
        ) as visit_number
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
        -- time in the stage up to leaving it, or up to the end of the as-of day while still in an
        -- open stage; a closed deal that stays closed has no time in its closed stage
        case
            when exited_at is null and coalesce(is_closed, false) then null
            {%- set left_at = 'coalesce(exited_at, ' ~ as_of_cutoff() ~ ')' %}
            else
                {{ to_double(dbt.datediff('entered_at', left_at, 'second')) }} / 86400
        end as days_in_stage,
        previous_stage_name,
        next_stage_name,
        coalesce(stage_sort_order < previous_stage_sort_order, false) as is_regression,
        -- left the stage forward: to a later stage that is not a lost close
        coalesce(
            exited_at is not null and next_stage_sort_order > stage_sort_order and not next_stage_is_lost,
            false
        ) as advanced_to_later_stage,
        _inputs_fingerprint
    from visits

)

select * from final
