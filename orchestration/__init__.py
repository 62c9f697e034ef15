"""crm-kpi: sales KPIs from CRM data, orchestrated by Dagster."""
