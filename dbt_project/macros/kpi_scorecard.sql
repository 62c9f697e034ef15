{#- Rows of the KPI catalog and targets seeds, read at run time (empty while dbt only parses). -#}
{% macro seed_rows(seed_name, columns) -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set result = run_query('select ' ~ columns | join(', ') ~ ' from ' ~ ref(seed_name)) -%}
    {{ return(result.rows) }}
{%- endmacro %}

{#- One source of scorecard rows: `column` of `relation` unpivoted into (kpi_name, value, target). -#}
{% macro scorecard_rows(kpi, relation, grain, period, entity_type, entity_id, target_column) -%}
    select
        '{{ kpi }}' as kpi_name,
        '{{ grain }}' as grain,
        {{ period }} as period_start,
        {{ entity_type }} as entity_type,
        {{ entity_id }} as entity_id,
        cast({{ kpi }} as {{ type_double() }}) as value,
        cast({{ target_column or 'null' }} as {{ type_double() }}) as mart_target
    from {{ relation }}
{%- endmacro %}
