{#- Fails for every month missing between the first and the last month of `column_name` (a date
    holding the first day of each month): a mart that promises one row per month has no gaps. -#}
{% test no_month_gaps(model, column_name) %}
    with months as (
        select distinct {{ column_name }} as month from {{ model }}
    ),
    expected as (
        select cast({{ dbt.dateadd('month', 1, 'month') }} as date) as month
        from months
        where month < (select max(month) from months)
    )
    select expected.month as missing_month
    from expected
    left join months on months.month = expected.month
    where months.month is null
{% endtest %}
