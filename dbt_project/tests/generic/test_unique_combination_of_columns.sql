{#- Fails for every combination of the given columns that appears more than once (the grain
    of a model is not unique). Like dbt_utils' test of the same name, which we cannot install
    from the dbt hub on a closed network. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    {%- set columns = combination_of_columns | join(', ') %}
    select {{ columns }}, count(*) as n_rows
    from {{ model }}
    group by {{ columns }}
    having count(*) > 1
{% endtest %}
