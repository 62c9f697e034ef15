{#- Use a model's custom schema as is (`staging`, `intermediate`) instead of dbt's default
    `<target schema>_<custom schema>`, so BI tools and the publish step see stable names. The
    marts (`+database: marts`, `+schema: main`) are the default schema of their own database on
    DuckDB, and the `marts` schema of the one database of a server engine. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ return(adapter.dispatch('generate_schema_name', 'crm_kpi')(custom_schema_name, node)) }}
{%- endmacro %}

{% macro default__generate_schema_name(custom_schema_name, node) -%}
    {%- if node is not none and node.config.get('database') == 'marts' -%}
        marts
    {%- elif custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}

{% macro duckdb__generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
