"""Reliability and security (issue 7): bad input, faults, load, leaks and access, each bounded in time.

The long runs live in bench/soak.py; this suite runs with every `pytest` and checks behaviour, never timings.
"""
