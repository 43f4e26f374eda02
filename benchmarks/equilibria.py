"""Stage-game solvers: compiled path against scipy HiGHS ``linprog`` and nashpy.

Times (after compilation, best of several repeats) the compiled solve of a 5x5 zero-sum
game, a 5x5 general-sum Nash equilibrium, and 3x3x3 CCE and CE, both as called from a
numba loop (how planners call :func:`robustgames.equilibria.solve_stage` per (h, s)) and
from Python, together with the same problem solved by scipy ``linprog(method="highs")``
(nashpy support enumeration for Nash) in the same run. Targets from the issue: 5x5
zero-sum <= 20 microseconds, 3x3x3 CCE <= 200 microseconds per solve.
"""

from __future__ import annotations

import itertools
import time
import warnings

import numpy as np
from scipy.optimize import linprog

from robustgames._jit import kernel
from robustgames.equilibria import CCE, CE, NASH, solve_stage

TARGETS = {"zero_sum_5x5": 20e-6, "nash_5x5": None, "cce_3x3x3": 200e-6, "ce_3x3x3": None}


@kernel
def _repeat(Q, n_actions, kind, out, reps):
    total = 0.0
    for _ in range(reps):
        total += solve_stage(Q, n_actions, kind, out)
    return total


def _best_time(fn, reps, repeats):
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(reps)
        best = min(best, (time.perf_counter() - t0) / reps)
    return best


def _scipy_zero_sum(A):
    m, n = A.shape
    c = np.zeros(m + 1)
    c[-1] = -1.0
    return linprog(c, A_ub=np.hstack([-A.T, np.ones((n, 1))]), b_ub=np.zeros(n),
                   A_eq=np.hstack([np.ones((1, m)), np.zeros((1, 1))]), b_eq=[1.0],
                   bounds=[(0, None)] * m + [(None, None)], method="highs")


def _scipy_correlated(U, kind):
    shape = U.shape[:-1]
    joint = list(itertools.product(*map(range, shape)))
    rows = []
    for i in range(len(shape)):
        for c in range(shape[i]):
            for d in range(shape[i]):
                if (kind == "ce" and c == d) or (kind == "cce" and c > 0):
                    continue
                row = np.zeros(len(joint))
                for k, a in enumerate(joint):
                    if kind == "ce" and a[i] != c:
                        continue
                    row[k] = U[a[:i] + (d,) + a[i + 1:] + (i,)] - U[a + (i,)]
                rows.append(row)
    G = np.array(rows)
    cost = -U.sum(axis=-1).reshape(-1)
    ones = np.ones((1, len(joint)))
    # the LP data are built once; only the solve is timed
    return lambda: linprog(cost, A_ub=G, b_ub=np.zeros(len(G)), A_eq=ones, b_eq=[1.0], method="highs")


def _nashpy_nash(U):
    import nashpy

    game = nashpy.Game(U[..., 0], U[..., 1])

    def solve():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return list(game.support_enumeration())
    return solve


def run(quick: bool = True) -> list[dict]:
    """Time every case; returns one record per case.

    Record keys: ``case``, ``seconds_per_solve`` (compiled, called in a numba loop),
    ``seconds_per_python_call`` (compiled, called from Python: adds dispatch overhead),
    ``reference`` (what it is compared with), ``reference_seconds``, ``ratio_to_scipy``
    (``seconds_per_solve / reference_seconds``), ``target_seconds`` (None when the issue
    sets none) and ``meets_target``.
    """
    reps = 200 if quick else 5000
    repeats = 3 if quick else 7
    ref_reps = 5 if quick else 50
    rng = np.random.default_rng(0)
    A = rng.uniform(-1, 1, size=(5, 5))
    cases = {
        "zero_sum_5x5": (np.stack([A, -A], axis=-1), NASH, "scipy linprog (highs)",
                         lambda U: (lambda: _scipy_zero_sum(U[..., 0]))),
        "nash_5x5": (rng.uniform(0, 1, size=(5, 5, 2)), NASH, "nashpy support enumeration", _nashpy_nash),
        "cce_3x3x3": (rng.uniform(0, 1, size=(3, 3, 3, 3)), CCE, "scipy linprog (highs)",
                      lambda U: _scipy_correlated(U, "cce")),
        "ce_3x3x3": (rng.uniform(0, 1, size=(3, 3, 3, 3)), CE, "scipy linprog (highs)",
                     lambda U: _scipy_correlated(U, "ce")),
    }
    records = []
    for name, (U, code, ref_name, make_ref) in cases.items():
        n_actions = np.array(U.shape[:-1], dtype=np.int64)
        Q = np.ascontiguousarray(U.reshape(-1, len(n_actions)))
        out = np.empty(Q.shape[0])
        _repeat(Q, n_actions, code, out, 2)  # compile / load the cache

        def loop(r):
            _repeat(Q, n_actions, code, out, r)

        def python_calls(r):
            for _ in range(r):
                solve_stage(Q, n_actions, code, out)

        compiled = _best_time(loop, reps, repeats)
        from_python = _best_time(python_calls, reps, repeats)
        ref = make_ref(U)
        ref()

        def ref_calls(r):
            for _ in range(r):
                ref()

        reference = _best_time(ref_calls, ref_reps, repeats)
        target = TARGETS[name]
        records.append({
            "case": name,
            "seconds_per_solve": compiled,
            "seconds_per_python_call": from_python,
            "reference": ref_name,
            "reference_seconds": reference,
            "ratio_to_scipy": compiled / reference,
            "target_seconds": target,
            "meets_target": None if target is None else bool(compiled <= target),
        })
    return records


if __name__ == "__main__":  # pragma: no cover
    for rec in run(quick=False):
        print(rec)
