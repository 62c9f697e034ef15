{#- What the pipeline tells dbt about the run: its as-of date and the objects its export does not
    hold, written to `audit.dbt_run_context` before `dbt build` (orchestration/defs/transform/dbt.py)
    rather than passed as --vars. Vars that change between runs (the as-of date does, every day)
    make dbt parse the whole project again, about a third of the dbt step; read here at execution,
    they leave the parse as it was. None while parsing, and where no run has written the table. -#}
{% macro run_context(name) -%}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {%- set relation = adapter.get_relation(database=target.database, schema='audit', identifier='dbt_run_context') -%}
    {%- if relation is none -%}{{ return(none) }}{%- endif -%}
    {%- set table = run_query('select ' ~ adapter.quote(name) ~ ' from ' ~ relation) -%}
    {{ return(table.columns[0].values()[0] if table.rows | length else none) }}
{%- endmacro %}
