"""Benchmarks: each module exposes run(quick: bool) -> dict and prints its figures when run alone.
`python -m bench` runs them all (see bench/__main__.py)."""
