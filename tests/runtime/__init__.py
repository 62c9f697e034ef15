"""Process control: the run lock, orphaned runs, dbt dying with its run, the Dagster instance, kills and faults."""
