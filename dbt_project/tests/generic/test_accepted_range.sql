{#- Fails for every row whose `column_name` lies outside [min_value, max_value] (or the open
    interval when `inclusive` is false). Either bound may be left out; NULLs pass (add not_null
    for them). Like dbt_utils' test of the same name, which we cannot install from the dbt hub on
    a closed network. Bounds are SQL expressions: numbers, or e.g. "cast('2020-01-01' as date)".

        - name: win_rate
          data_tests:
            - accepted_range:
                arguments:
                  min_value: 0
                  max_value: 1
-#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
    {%- if min_value is none and max_value is none -%}
        {{ exceptions.raise_compiler_error(
            "accepted_range on column " ~ column_name ~ ": give min_value, max_value or both"
        ) }}
    {%- endif -%}
    {%- set lower_op = '>=' if inclusive else '>' -%}
    {%- set upper_op = '<=' if inclusive else '<' %}

    with

    checked as (

        select {{ column_name }} as checked_value
        from {{ model }}

    ),

    validation_errors as (

        select checked_value
        from checked
        where 1 = 2
        {%- if min_value is not none %}
            or not (checked_value {{ lower_op }} {{ min_value }})
        {%- endif %}
        {%- if max_value is not none %}
            or not (checked_value {{ upper_op }} {{ max_value }})
        {%- endif %}

    )

    select * from validation_errors
{% endtest %}
