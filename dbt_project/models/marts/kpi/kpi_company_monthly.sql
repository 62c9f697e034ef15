{#- The contract KPIs for the whole company by calendar month: the rep computation, all owners together. -#}
{{ monthly_kpis("kpi_company_monthly") }}
