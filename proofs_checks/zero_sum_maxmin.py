"""Zero-sum Nash value = max-min value at sigma = 0 (von Neumann; Shapley's backward induction).

Claim (docs/theory.md section 3 and the note in ``robustgames.planning._solve``: "at sigma = 0 a
zero-sum game's NE value is the max-min value"): for a two-player zero-sum Markov game with
radius 0, the Nash value returned by robust Nash value iteration equals

* for one stage, ``max_x min_y x^T A y`` (an LP),
* for a finite horizon, Shapley's backward induction ``V_h(s) = val[ r_h(s,.,.) + P_h(.|s,.,.) V_{h+1} ]``
  with one LP per state, and
* for a discounted game, the fixed point of Shapley's operator,

and the second player's value is the negative of the first's.

How it is checked: seeded random zero-sum games (rewards ``(A, -A)``) solved by ``rg.solve(game,
U(0), "nash")`` with ``U`` in {TV, KL} at radius 0; the max-min values are computed HERE by
:func:`scipy.optimize.linprog` (HiGHS) per stage and state, and also compared with
``robustgames.equilibria.zero_sum`` on single stages.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog

from robustgames.proofs_checks._claim import detects, fmt, result, uncertainty_set

CLAIM = ("At sigma = 0 the Nash value of a 2-player zero-sum (Markov) game computed by rg.solve equals the "
         "max-min value: linprog max_x min_y x^T A y for one stage, Shapley backward induction (finite "
         "horizon) and Shapley's fixed point (discounted); player 2's value is the negative")
SOURCE = "docs/theory.md sec. 3 (robust NVI at sigma = 0); von Neumann minimax; Shapley 1953 stochastic games"
METHOD = ("Random zero-sum games: rg.solve(game, TV(0)/KL(0), 'nash') vs max-min values by linprog per "
          "stage/state (Shapley induction and fixed point written here) and vs rg.equilibria.zero_sum.")

TOL = 1e-8


def maxmin_lp(A):
    """``max_x min_j x^T A[:, j]`` by linprog over ``(x, v)``."""
    m, n = A.shape
    c = np.zeros(m + 1)
    c[-1] = -1.0
    A_ub = np.hstack([-A.T, np.ones((n, 1))])  # v - x^T A_j <= 0
    A_eq = np.concatenate([np.ones(m), [0.0]])[None, :]
    res = linprog(c, A_ub=A_ub, b_ub=np.zeros(n), A_eq=A_eq, b_eq=[1.0],
                  bounds=[(0, None)] * m + [(None, None)], method="highs",
                  options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10})
    if res.status != 0:
        raise RuntimeError(f"max-min LP failed: {res.message}")
    return float(res.x[-1])


def shapley_values(game, stage_value=maxmin_lp, tol=1e-12):
    """Player-1 values by Shapley's backward induction / fixed-point iteration, ``(H+1, S)`` or ``(S,)``."""
    S = game.n_states
    if not game.discounted:
        H = game.horizon
        V = np.zeros((H + 1, S))
        for h in range(H - 1, -1, -1):
            for s in range(S):
                M = game.rewards[h, s, :, :, 0] + game.transitions[h, s] @ V[h + 1]
                V[h, s] = stage_value(M)
        return V
    V = np.zeros(S)
    g = game.gamma
    for _ in range(10_000):
        new = np.array([stage_value(game.rewards[s, :, :, 0] + g * game.transitions[s] @ V) for s in range(S)])
        done = g / (1 - g) * np.max(np.abs(new - V)) <= tol
        V = new
        if done:
            break
    return V


def _zero_sum_game(rng, S, acts, H=None, gamma=None):
    import robustgames as rg

    lead = (H, S) if H is not None else (S,)
    P = rng.dirichlet(np.full(S, 0.7), size=lead + acts)
    A = rng.normal(size=lead + acts)
    return rg.MarkovGame(P, np.stack([A, -A], axis=-1), gamma=gamma)


def check(quick: bool = True, *, solver=None, seed: int = 8, n_games=None, **_) -> object:
    """``solver(game, U, equilibrium) -> Result`` with ``values`` replaces ``rg.solve``."""
    import robustgames as rg

    solve = rg.solve if solver is None else solver
    rng = np.random.default_rng(seed)
    n = n_games or (3 if quick else 20)
    err_one = err_fh = err_disc = err_neg = err_lib = 0.0
    lib = None
    try:
        from robustgames.equilibria import zero_sum as lib
    except ImportError:
        pass
    for k in range(n):
        kind = uncertainty_set("TV" if k % 2 == 0 else "KL")
        U = kind(0.0)
        acts = (int(rng.integers(2, 5)), int(rng.integers(2, 5)))
        # one stage (a matrix game)
        g1 = _zero_sum_game(rng, 1, acts, H=1)
        v1 = np.asarray(solve(g1, U, "nash").values)
        target = maxmin_lp(g1.rewards[0, 0, :, :, 0])
        err_one = max(err_one, abs(v1[0, 0, 0] - target))
        err_neg = max(err_neg, abs(v1[0, 0, 1] + v1[0, 0, 0]))
        if lib is not None:
            err_lib = max(err_lib, abs(float(lib(g1.rewards[0, 0, :, :, 0]).value) - target))
        # finite horizon
        gH = _zero_sum_game(rng, 3, acts, H=3)
        vH = np.asarray(solve(gH, U, "nash").values)
        err_fh = max(err_fh, float(np.abs(vH[..., 0] - shapley_values(gH)).max()))
        err_neg = max(err_neg, float(np.abs(vH[..., 1] + vH[..., 0]).max()))
        # discounted
        gD = _zero_sum_game(rng, 3, acts, gamma=0.7)
        vD = np.asarray(solve(gD, U, "nash").values)
        err_disc = max(err_disc, float(np.abs(vD[..., 0] - shapley_values(gD)).max()))
        err_neg = max(err_neg, float(np.abs(vD[..., 1] + vD[..., 0]).max()))
    measured = max(err_one, err_fh, err_disc, err_neg, err_lib)
    passed = measured <= TOL
    evidence = (f"largest error over {n} games each of one stage, H=3 and gamma=0.7 (radius 0, TV and KL): "
                f"|NE value - LP max-min| {fmt(err_one)}, |finite-horizon - Shapley induction| {fmt(err_fh)}, "
                f"|discounted - Shapley fixed point| {fmt(err_disc)}, |V_1 + V_2| {fmt(err_neg)}, "
                f"|equilibria.zero_sum - LP| {fmt(err_lib) if lib is not None else 'n/a'}")
    return result(passed, evidence, measured=measured, threshold=TOL, games=n, err_one_stage=err_one,
                  err_finite_horizon=err_fh, err_discounted=err_disc, err_negation=err_neg,
                  err_zero_sum_lib=err_lib)


def _pure_solver(stage):
    """Planted solver: Shapley induction with PURE-strategy security levels."""
    import robustgames as rg

    def solve(game, U, equilibrium):
        V = shapley_values(game, stage, tol=1e-10)
        return rg.Result(values=np.stack([V, -V], axis=-1))
    return solve


def self_test() -> bool:
    """Pure max-min (lower value) and pure min-max (upper value) solvers must be caught."""
    lower = _pure_solver(lambda M: float(M.min(axis=1).max()))
    upper = _pure_solver(lambda M: float(M.max(axis=0).min()))
    return all(detects(check, solver=f, n_games=2) for f in (lower, upper))


if __name__ == "__main__":  # pragma: no cover
    print(check(quick=False))
