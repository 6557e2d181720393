"""Evaluations and benchmarks: scripts anyone can rerun, each printing its own numbers."""
