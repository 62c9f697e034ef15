{#- Every catalog KPI of the monthly and quarterly marts as one long table a BI tool can filter into
    any scorecard: one row per KPI, grain, period and entity, with its target, attainment and
    status. Which KPIs appear, and whether higher is better, comes from the kpi_catalog seed;
    targets from the kpi_targets seed (or, for bookings, the quota in the same mart row). -#}
{%- set sources = [
    ('rep_monthly', 'kpi_rep_monthly', 'month', 'month', "'rep'", 'owner_id'),
    ('team_monthly', 'kpi_team_monthly', 'month', 'month', "'team'", 'team_id'),
    ('company_monthly', 'kpi_company_monthly', 'month', 'month', "'company'", "'company'"),
    ('sales_monthly', 'kpi_sales_monthly', 'month', 'month', 'entity_type', 'entity_id'),
    ('sales_quarterly', 'kpi_sales_quarterly', 'quarter', 'quarter', 'entity_type', 'entity_id'),
] -%}
{%- set catalog = seed_rows('kpi_catalog', ['kpi_name', 'models']) -%}
{%- set target_columns = {} -%}
{%- for row in seed_rows('kpi_targets', ['kpi_name', 'target_column']) if row[1] -%}
    {%- do target_columns.update({row[0]: row[1]}) -%}
{%- endfor -%}
with

rep_monthly as (

    select * from {{ ref('kpi_rep_monthly') }}

),

team_monthly as (

    select * from {{ ref('kpi_team_monthly') }}

),

company_monthly as (

    select * from {{ ref('kpi_company_monthly') }}

),

sales_monthly as (

    select * from {{ ref('kpi_sales_monthly') }}

),

sales_quarterly as (

    select * from {{ ref('kpi_sales_quarterly') }}

),

catalog as (

    select * from {{ ref('kpi_catalog') }}

),

targets as (

    select * from {{ ref('kpi_targets') }}

),

unpivoted as (

    {%- set selects = [] -%}
    {%- for cte, model, grain, period, entity_type, entity_id in sources -%}
        {%- for kpi_name, models in catalog -%}
            {%- set model_list = models.split() -%}
            {#- kpi_sales_monthly repeats some contract KPIs: take those from the contract marts -#}
            {%- if model in model_list and not (model == 'kpi_sales_monthly' and 'kpi_rep_monthly' in model_list) -%}
                {%- do selects.append(scorecard_rows(kpi_name, cte, grain, period, entity_type, entity_id,
                                                     target_columns.get(kpi_name))) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor %}
    {%- if selects %}
        {{ selects | join('\n\n    union all\n\n        ') }}
    {%- else %}
        -- dbt is only parsing: the catalog is read when the model runs
        select
            cast(null as {{ dbt.type_string() }}) as kpi_name,
            cast(null as {{ dbt.type_string() }}) as grain,
            cast(null as date) as period_start,
            cast(null as {{ dbt.type_string() }}) as entity_type,
            cast(null as {{ dbt.type_string() }}) as entity_id,
            cast(null as {{ type_double() }}) as value,
            cast(null as {{ type_double() }}) as mart_target
        where 1 = 0
    {%- endif %}

),

with_targets as (

    select
        unpivoted.*,
        catalog.higher_is_better,
        coalesce(
            case when targets.target_column is not null then nullif(unpivoted.mart_target, 0) end,
            targets.target_value
        ) as target,
        targets.tolerance
    from unpivoted
    inner join catalog on catalog.kpi_name = unpivoted.kpi_name
    left join targets
        on targets.kpi_name = unpivoted.kpi_name
        and targets.grain in (unpivoted.grain, '*')
        and targets.entity_type in (unpivoted.entity_type, '*')

),

scored as (

    select
        *,
        -- attainment > 1 is better than target whichever way the KPI points
        case
            when higher_is_better then {{ safe_divide('value', 'target') }}
            else {{ safe_divide('target', 'value') }}
        end as attainment
    from with_targets

),

final as (

    select
        kpi_name,
        grain,
        cast(period_start as date) as period_start,
        entity_type,
        entity_id,
        value,
        target,
        attainment,
        higher_is_better,
        case
            when attainment is null then null
            when attainment >= 1 + tolerance then 'ahead'
            when attainment >= 1 - tolerance then 'on track'
            else 'behind'
        end as status
    from scored

)

select * from final
