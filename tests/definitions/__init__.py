"""The Dagster code location: its definitions, the schedule and sensors, and the webserver."""
