"""The warehouse files and the resource that opens them: locks, damage, DuckDB settings."""
