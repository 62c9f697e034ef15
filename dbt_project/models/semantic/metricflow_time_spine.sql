{#- MetricFlow's time spine: one row per day of dim_date. It lives in `intermediate`, not `marts`,
    so it is never published (orchestration/dbt_manifest.py publishes the `marts` models only). -#}
{{ config(schema='intermediate', materialized='view') }}

select date_day
from {{ ref('dim_date') }}
