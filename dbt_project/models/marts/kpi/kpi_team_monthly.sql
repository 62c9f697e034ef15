{#- The contract KPIs per team (the owner's manager, see dim_users) and calendar month. -#}
{{ monthly_kpis("kpi_team_monthly", entity="team_id") }}
