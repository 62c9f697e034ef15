"""The dbt project: its resource and selection, unit tests, source freshness, SQL style, the KPI catalog and the semantic layer."""
