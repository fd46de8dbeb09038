"""Benchmark of the explanation engine and the dashboard: ``python3 -m bench.run [--quick]``."""
