{#- The contract KPIs per owner (Salesforce User Id) and calendar month. -#}
{{ monthly_kpis("kpi_rep_monthly", entity="owner_id") }}
