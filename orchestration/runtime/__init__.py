"""Process control, apart from the Dagster definitions: the state directory's run lock, its Dagster
instance and how that instance's SQLite files are written, dbt's child process, and runs left
behind by a killed process."""
