"""The engines the dbt project runs on besides the embedded DuckDB: one module per engine, holding
what is specific to it outside dbt (dbt's own seam is its dispatch macros)."""
