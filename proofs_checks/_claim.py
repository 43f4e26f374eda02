"""Shared helpers of the claim modules (not a claim itself: the leading underscore).

Every claim module ``proofs_checks/<name>.py`` defines ``CLAIM``, ``SOURCE``, ``METHOD``,
``check(quick=True, **overrides) -> Result(passed, evidence, numbers)`` and
``self_test() -> bool``. This module gives them seeded random instances, a uniform way to
build the result, access to the uncertainty sets that may still be landing (a clear error
names the missing one), and :func:`detects`, the body of every ``self_test``.
"""

from __future__ import annotations

import math

import numpy as np

from robustgames._result import Result

__all__ = [
    "MissingDependency",
    "uncertainty_set",
    "reference_module",
    "random_row",
    "random_values",
    "row_value_cases",
    "result",
    "detects",
    "decisive",
    "fmt",
]


class MissingDependency(RuntimeError):
    """A piece of robustgames a check needs has not landed (the check reports an ERROR)."""


def uncertainty_set(name: str):
    """The class ``robustgames.uncertainty.<name>`` (``TV``, ``KL``, ``ChiSquare``, ...)."""
    import robustgames.uncertainty as unc

    cls = getattr(unc, name, None)
    if cls is None:
        raise MissingDependency(f"robustgames.uncertainty has no set named {name!r}")
    return cls


def reference_module():
    """:mod:`robustgames.uncertainty.reference` (slow primal oracles)."""
    try:
        from robustgames.uncertainty import reference
    except ImportError as exc:  # pragma: no cover - depends on landing order
        raise MissingDependency(f"robustgames.uncertainty.reference is not available: {exc}") from None
    return reference


def random_row(rng: np.random.Generator, S: int, zero_prob: float = 0.3) -> np.ndarray:
    """A random distribution over ``S`` states; each entry is zero with ``zero_prob``
    (at least one entry stays positive), the rest Dirichlet(0.5)."""
    mask = rng.random(S) >= zero_prob
    if not mask.any():
        mask[rng.integers(S)] = True
    p = np.zeros(S)
    p[mask] = rng.dirichlet(np.full(mask.sum(), 0.5))
    p /= p.sum()
    return p


def random_values(rng: np.random.Generator, S: int) -> np.ndarray:
    """A random value vector of one of several kinds: uniform [0, 1], signed, large range,
    tiny range, with ties, integer-valued, or constant."""
    kind = rng.integers(7)
    if kind == 0:
        return rng.random(S)
    if kind == 1:
        return rng.normal(size=S) * 3.0
    if kind == 2:
        return rng.normal(size=S) * 1e4 + 50.0
    if kind == 3:
        return 1.0 + 1e-3 * rng.random(S)
    if kind == 4:
        return rng.integers(0, 3, size=S).astype(float)
    if kind == 5:
        return -rng.integers(0, 5, size=S).astype(float) - 0.5 * rng.random(S)
    return np.full(S, float(rng.normal()))


def row_value_cases(rng: np.random.Generator, n: int, S_max: int = 8, zero_prob: float = 0.3):
    """Yield ``n`` pairs ``(p0, v)`` with ``S`` in ``[2, S_max]``."""
    for _ in range(n):
        S = int(rng.integers(2, S_max + 1))
        yield random_row(rng, S, zero_prob), random_values(rng, S)


def fmt(x: float) -> str:
    """Compact number for an evidence line."""
    if x is None:
        return "None"
    x = float(x)
    if x == 0.0 or not math.isfinite(x):
        return repr(x)
    if 1e-3 <= abs(x) < 1e5:
        return f"{x:.6g}"
    return f"{x:.3e}"


_RELATIONS = {"<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b, "<": lambda a, b: a < b,
              ">": lambda a, b: a > b, "==": lambda a, b: a == b}


def result(passed: bool, evidence: str, *, measured, threshold, relation: str = "<=",
           empirical: bool = False, **numbers) -> Result:
    """The ``Result(passed, evidence, verdict, numbers)`` every ``check`` returns.

    ``measured`` is the number the verdict was judged on and ``threshold`` the value it was
    judged against, read as ``measured <relation> threshold`` (``relation`` one of ``"<="``,
    ``">="``, ``"<"``, ``">"``, ``"=="``); both are printed next to the verdict by
    ``robustgames check`` and stored in ``numbers``. ``passed`` stays the claim's own verdict
    (a claim may combine several criteria; the measured number is the decisive one). Numpy
    scalars in ``numbers`` become Python floats/ints so the JSON writer can serialise them.

    ``empirical=True`` marks ``threshold`` as a paper's *empirical* figure (measured on the
    paper's own simulator), not a consequence of a theorem. Then ``passed`` is the verdict
    of the check's theorem criteria only, and ``measured <relation> threshold`` is evaluated
    here and stored as ``numbers["reproduced"]`` (and ``Result.reproduced``): the runner
    shows a claim that passes its theorem criteria but does not reproduce the paper's
    number as DIFFERS, which does not make ``robustgames check`` exit non-zero.
    """
    if relation not in _RELATIONS:
        raise ValueError(f"relation must be one of <=, >=, <, >, ==; got {relation!r}")
    clean = {}
    numbers = dict(numbers, measured=measured, threshold=threshold, relation=relation)
    extra = {}
    if empirical:
        reproduced = bool(_RELATIONS[relation](measured, threshold))
        numbers.update(empirical=True, reproduced=reproduced)
        extra = dict(empirical=True, reproduced=reproduced)
    for k, v in numbers.items():
        if isinstance(v, (np.floating,)):
            v = float(v)
        elif isinstance(v, (np.integer,)):
            v = int(v)
        elif isinstance(v, np.bool_):
            v = bool(v)
        clean[k] = v
    verdict = f"measured {fmt(measured)} {relation} {fmt(threshold)}"
    if empirical:
        verdict += " (paper's empirical figure" + ("" if extra["reproduced"] else ", not reproduced") + ")"
    return Result(passed=bool(passed), evidence=evidence, verdict=verdict, numbers=clean, **extra)


def decisive(criteria):
    """``(passed, label, measured, threshold)`` of a claim judged on several criteria
    ``[(label, measured, threshold), ...]``, each read as ``measured <= threshold``: it
    passes iff all hold, and the decisive criterion is the one with the largest
    ``measured / threshold`` (the smallest margin; the one printed next to the verdict)."""
    label, measured, threshold = max(criteria, key=lambda c: c[1] / c[2])
    return all(m <= t for _, m, t in criteria), label, measured, threshold


def detects(check, **overrides) -> bool:
    """Run ``check(quick=True, **overrides)`` with a planted bug; True iff it reports
    ``passed=False`` (an exception is NOT a detection: the check must fail cleanly)."""
    try:
        res = check(quick=True, **overrides)
    except Exception:  # noqa: BLE001
        return False
    return not res.passed


def function_set(values_fn, radius: float, dist_fn=None, name: str = "Planted"):
    """An :class:`robustgames.UncertaintySet` whose support function is ``values_fn(P, v, radius)``
    (``P`` is ``(R, S)``, returns ``(R,)``): used to plant wrong operators in the planning layer.
    ``dist_fn(P, v, radius)`` (``(R, S)``) is optional."""
    from robustgames.uncertainty import UncertaintySet

    class _FunctionSet(UncertaintySet):
        max_radius = None

        def _values(self, P, v, out):
            out[:] = values_fn(P, v, self.radius)

        def _distributions(self, P, v, out):
            if dist_fn is None:
                raise NotImplementedError(f"{name} has no worst_distribution")
            out[:] = dist_fn(P, v, self.radius)

        def __repr__(self):
            return f"{name}({self.radius!r})"

    return _FunctionSet(radius)
