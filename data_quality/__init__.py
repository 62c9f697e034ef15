"""Data-quality rules kept as code: Great Expectations suites and the logic that runs them."""
