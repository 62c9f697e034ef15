{#- A KPI column is never NULL while it is measured, and NULL throughout when it is not: the export
    holds none of the objects it is measured from (see unmeasured_kpis()). A plain not_null would fail
    every run on a partial export; this keeps the promise both ways. Fails for each offending row. -#}
{% test not_null_when_measured(model, column_name) %}
    {%- set measured = column_name not in unmeasured_kpis(model.identifier) %}
    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} is {{ '' if measured else 'not' }} null
{% endtest %}
