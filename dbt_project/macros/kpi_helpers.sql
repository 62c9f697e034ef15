{#- The as-of date every KPI is computed for (the `as_of_date` var): a DATE literal. -#}
{% macro as_of_date() -%}
    cast('{{ var("as_of_date") }}' as date)
{%- endmacro %}

{#- The end of the as-of day, exclusive: events at or after it are not yet known. -#}
{% macro as_of_cutoff() -%}
    {{ dbt.dateadd('day', 1, as_of_date()) }}
{%- endmacro %}

{#- A ratio that is NULL, never 0, when its denominator is 0 or NULL. -#}
{% macro safe_divide(numerator, denominator) -%}
    case
        when coalesce(({{ denominator }}), 0) = 0 then null
        else cast(({{ numerator }}) as {{ type_double() }}) / ({{ denominator }})
    end
{%- endmacro %}

{#- The first day of the calendar month of a date or timestamp, as a DATE. -#}
{% macro month_of(expression) -%}
    cast({{ dbt.date_trunc('month', expression) }} as date)
{%- endmacro %}

{#- A double-precision float. dbt.type_float is a 4-byte FLOAT on DuckDB, too coarse for money. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'crm_kpi')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro bigquery__type_double() -%}
    float64
{%- endmacro %}
