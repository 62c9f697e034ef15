"""The same dbt project on engines besides DuckDB: built there from the same data, its marts equal DuckDB's."""
