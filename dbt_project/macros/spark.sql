{#- dbt-spark's own macros that this project replaces on Spark, where they give wrong results. -#}

{#- dbt-spark's millisecond datediff divides by (1/1000) and rounds with ceil: 3.5 hours came out
    as 12,600,499.99 ms. Here the millisecond boundaries crossed, exactly, as DuckDB and Postgres
    count them (the session's time zone is UTC: profiles.yml). Every other datepart is dbt-spark's. -#}
{% macro spark__datediff(first_date, second_date, datepart) -%}
    {%- if datepart == 'millisecond' -%}
        (unix_millis(cast({{ second_date }} as timestamp)) - unix_millis(cast({{ first_date }} as timestamp)))
    {%- else -%}
        {{ dbt.spark__datediff(first_date, second_date, datepart) }}
    {%- endif -%}
{%- endmacro %}

{#- Seeds on Spark through dbt-spark's session method: its own loader hands each value to Spark as
    bare text (`sql % values`, unquoted), so a seed whose text holds a quote (kpi_catalog's
    definitions do) is no longer SQL. Here each value is written as a Spark literal instead. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set types = [] -%}
    {%- for column in agate_table.column_names -%}
        {%- do types.append(column_override.get(column, adapter.convert_type(agate_table, loop.index0))) -%}
    {%- endfor -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set rows = [] -%}
        {%- for row in chunk -%}
            {%- set values = [] -%}
            {%- for value in row -%}
                {%- do values.append('cast(' ~ spark_literal(value) ~ ' as ' ~ types[loop.index0] ~ ')') -%}
            {%- endfor -%}
            {%- do rows.append('(' ~ values | join(', ') ~ ')') -%}
        {%- endfor -%}
        {%- set sql = 'insert into ' ~ this.render() ~ ' values ' ~ rows | join(', ') -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- do statements.append(sql) -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{% endmacro %}

{#- A value of a seed as a Spark SQL literal: NULL, true/false, a number, or a quoted string with
    its backslashes and quotes escaped (Spark's string literals read backslash escapes). -#}
{% macro spark_literal(value) -%}
    {%- if value is none -%}
        null
    {%- elif value is sameas true or value is sameas false -%}
        {{ 'true' if value else 'false' }}
    {%- elif value is number -%}
        {{ value }}
    {%- else -%}
        '{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}
