"""Benchmarks (`make bench`): each module measures one path against its limit and writes
its section of BENCHMARKS.md. See bench/common.py for the shared helpers."""
