{#- The contract KPIs per owner (Salesforce User Id) and calendar month. -#}
{{ monthly_kpis(entity="owner_id") }}
