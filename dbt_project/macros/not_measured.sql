{#- "Not measured" is not zero: a KPI is NULL when the export holds none of the objects it is
    measured from (the catalog's `measured_from`, see kpi_sources()). The objects the export lacks
    (raw table names) come from the run (see run_context), or the `objects_not_exported` var when
    one is given; an object exported with no rows is measured, and gives 0. -#}

{#- The KPIs of `mart` that this run cannot measure. -#}
{% macro unmeasured_kpis(mart) -%}
    {%- set missing = var('objects_not_exported', none) -%}
    {%- if missing is none -%}
        {#- Vars given (a unit test, an ad-hoc build) describe the whole build: with an as_of_date
            var and no objects_not_exported, every object counts as exported. -#}
        {%- set listed = none if var('as_of_date', none) is not none else run_context('objects_not_exported') -%}
        {%- set missing = listed.split(',') if listed else [] -%}
    {%- endif -%}
    {%- set unmeasured = [] -%}
    {%- for kpi, groups in kpi_sources().get(mart, {}).items() -%}
        {%- for group in groups if group | reject('in', missing) | list | length == 0 -%}
            {%- if loop.first %}{% do unmeasured.append(kpi) %}{% endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(unmeasured | sort) }}
{%- endmacro %}

{#- The rows of `relation` with the unmeasured KPIs of `mart` made NULL, keeping their types. The
    mart is named, not taken from `this`: in a dbt unit test `this` is the test. -#}
{% macro select_measured(relation, mart) -%}
    {{ return(adapter.dispatch('select_measured', 'crm_kpi')(relation, mart)) }}
{%- endmacro %}

{#- Engines without `select * replace`: every column of the mart as its yml lists them
    (mart_columns(), generated from it; the cross-engine tests compare whole marts), the unmeasured
    ones made NULL. -#}
{% macro default__select_measured(relation, mart) -%}
    {%- set unmeasured = unmeasured_kpis(mart) -%}
    {%- if not unmeasured %}
    select * from {{ relation }}
    {%- else %}
    select
        {%- for column in mart_columns()[mart] %}
        {% if column in unmeasured %}case when false then {{ column }} end{% else %}{{ column }}{% endif %}
            as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ relation }}
    {%- endif %}
{%- endmacro %}

{% macro duckdb__select_measured(relation, mart) -%}
    {%- set unmeasured = unmeasured_kpis(mart) -%}
    select *
    {%- if unmeasured %} replace (
        {%- for kpi in unmeasured %}
        case when false then {{ kpi }} end as {{ kpi }}{{ ',' if not loop.last }}
        {%- endfor %}
    )
    {%- endif %}
    from {{ relation }}
{%- endmacro %}
