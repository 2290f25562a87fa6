"""Data-quality checks (Great Expectations suites) for the warehouse."""
