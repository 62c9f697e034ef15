"""What users bring, read and loaded: Data Export files and zips, a live org over the API, another CRM's export through a mapping, merges, and each source kind run through Dagster."""
