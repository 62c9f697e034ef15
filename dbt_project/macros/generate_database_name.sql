{#- Where the marts are built (`+database: marts` in dbt_project.yml). On DuckDB, a database of
    their own beside the warehouse (the profile attaches marts.duckdb), which publishing copies
    whole. A server engine has one database: there the marts are its `marts` schema instead (see
    generate_schema_name). -#}
{% macro generate_database_name(custom_database_name=none, node=none) -%}
    {{ return(adapter.dispatch('generate_database_name', 'crm_kpi')(custom_database_name, node)) }}
{%- endmacro %}

{% macro default__generate_database_name(custom_database_name, node) -%}
    {%- if custom_database_name not in (none, 'marts') -%}
        {{ exceptions.raise_compiler_error("only the marts have a database of their own, not " ~ custom_database_name) }}
    {%- endif -%}
    {{ target.database }}
{%- endmacro %}

{% macro duckdb__generate_database_name(custom_database_name, node) -%}
    {{ (custom_database_name or target.database) | trim }}
{%- endmacro %}

{#- Spark has schemas only (its "databases"): a relation names none. -#}
{% macro spark__generate_database_name(custom_database_name, node) -%}
    {%- if custom_database_name not in (none, 'marts') -%}
        {{ exceptions.raise_compiler_error("only the marts have a database of their own, not " ~ custom_database_name) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}
