"""The published KPI marts against independent computations (tests/support/kpi_reference*.py)."""
