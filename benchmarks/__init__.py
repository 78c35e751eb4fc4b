"""Reproducible benchmarks; `make bench` runs them and BENCHMARKS.md records results."""
