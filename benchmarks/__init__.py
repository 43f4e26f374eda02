"""Benchmarks, reported as ratios measured in one run (installed as ``robustgames.benchmarks``).

Run them with ``robustgames bench [--json PATH]``. No timing is ever asserted in tests.
"""
