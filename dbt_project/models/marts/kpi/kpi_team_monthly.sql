{#- The contract KPIs per team (the owner's manager, see dim_users) and calendar month. -#}
{{ monthly_kpis(entity="team_id") }}
