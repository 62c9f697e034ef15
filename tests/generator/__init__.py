"""The demo org generator (the top-level demo_org package): format, realism, engagement, daily deltas and scale."""
