"""Shared test configuration: hypothesis profiles.

``default`` (loaded here): no deadline, since the first call of a numba kernel may compile
or load its cache. Example counts are set per test with ``@settings(max_examples=...)`` to
keep the suite fast; ``ci`` additionally derandomises hypothesis for reproducible CI runs
(``pytest --hypothesis-profile=ci``).
"""

from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "ci", deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("default")
