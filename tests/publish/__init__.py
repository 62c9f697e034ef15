"""The publish and what reads it: the atomic swap, concurrent readers, BI reads, UI metadata and the dashboard."""
