{#- The contract KPIs per owner (Salesforce User Id) and calendar month. -#}
{{ monthly_kpis(by_owner=true) }}
