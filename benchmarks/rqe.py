"""Stage RQE: compiled Newton against the authors' gradient play and a scipy root solve.

For random 2-player games (2x2, 5x5, 10x10; entropy regulariser, ``tau = 1.5``,
``eps = 1``, inside the tractable region) times, in the same run, (a) ``rqe()`` (compiled
damped Newton, first-order residual <= 1e-9), (b) projected simultaneous gradient play on
the paired game with the authors' learning rate 2e-4 (compiled, stopped when the same
residual is <= 1e-9, capped at 2e6 steps) and (c) ``scipy.optimize.root`` (hybr) on the
first-order conditions ``log x_i - log softmax(c_i(x)/eps_i)`` in logits. Reports
``ratio_gradient_play`` and ``ratio_scipy_root`` (reference seconds / rqe seconds, so > 1
means rqe is faster) and each method's final residual (docs/theory.md section 7).
"""

from __future__ import annotations

import time

import numpy as np
from scipy.optimize import root
from scipy.special import logsumexp, softmax

from robustgames.equilibria._rqe import rqe
from robustgames.equilibria._rqe_dynamics import paired_gradient_play

TOL = 1e-9


def _best(fn, repeats):
    best = np.inf
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _scipy_root(U, tau, eps):
    A, B = U[..., 0], U[..., 1]
    m, n = A.shape

    def F(v):
        x, y = softmax(v[:m]), softmax(v[m:])
        w1 = np.log(y) - tau * (x @ A)
        p1 = np.exp(w1 - logsumexp(w1))
        w2 = np.log(x) - tau * (B @ y)
        p2 = np.exp(w2 - logsumexp(w2))
        c1, c2 = A @ p1, B.T @ p2
        return np.concatenate([np.log(x) - (c1 / eps - logsumexp(c1 / eps)),
                               np.log(y) - (c2 / eps - logsumexp(c2 / eps))])

    sol = root(F, np.zeros(m + n), method="hybr", tol=1e-13)
    return softmax(sol.x[:m]), softmax(sol.x[m:])


def run(quick: bool = True) -> list[dict]:
    """One record per game size: ``seconds`` (rqe), ``gradient_play_seconds``,
    ``gradient_play_steps``, ``scipy_root_seconds``, the ratios and residuals."""
    rng = np.random.default_rng(0)
    tau, eps = 1.5, 1.0
    sizes = (2, 5, 10)
    repeats = 3 if quick else 7
    records = []
    rqe(np.zeros((2, 2, 2)), tau, eps)  # compile / load
    paired_gradient_play(np.zeros((2, 2, 2)), tau, eps, max_iter=10)
    for k in sizes:
        U = rng.uniform(-1, 1, size=(k, k, 2))
        t_rqe, sol = _best(lambda: rqe(U, tau, eps, tol=TOL), repeats)
        t_gp, (x, y, steps, res_gp) = _best(
            lambda: paired_gradient_play(U, tau, eps, lr=2e-4, max_iter=2_000_000, tol=TOL, check_every=100), 1)
        t_sp, (xs, ys) = _best(lambda: _scipy_root(U, tau, eps), repeats)
        err_sp = max(np.abs(xs - sol.strategies[0]).max(), np.abs(ys - sol.strategies[1]).max())
        records.append({
            "case": f"rqe_{k}x{k}",
            "seconds": t_rqe,
            "residual": sol.residual,
            "gradient_play_seconds": t_gp,
            "gradient_play_steps": steps,
            "gradient_play_residual": res_gp,
            "scipy_root_seconds": t_sp,
            "scipy_root_distance": float(err_sp),
            "ratio_gradient_play": t_gp / t_rqe,
            "ratio_scipy_root": t_sp / t_rqe,
            "target": "ratio_gradient_play >= 100",
            "target_met": bool(t_gp / t_rqe >= 100),
        })
    records.extend(run_markov(quick))
    return records


def _markov_scipy(game, tau, eps):
    """Backward induction with each stage solved by ``_scipy_root`` (the reference); the
    next-state risk is the solver's own ``next_state_risk`` (not what is timed here)."""
    from robustgames.planning._rqe_markov import next_state_risk

    H, S = game.horizon, game.n_states
    m, n = game.n_actions
    P, R = game.flat_transitions, game.flat_rewards
    V = np.zeros((H + 1, S, 2))
    t = np.array([tau, tau])
    for h in range(H - 1, -1, -1):
        Q = (R[h] + next_state_risk(P[h], V[h + 1], t)).reshape(S, m, n, 2)
        for s in range(S):
            A, B = Q[s, ..., 0], Q[s, ..., 1]
            x, y = _scipy_root(Q[s], tau, eps)
            rho1 = -logsumexp(-tau * (x @ A), b=y) / tau
            rho2 = -logsumexp(-tau * (B @ y), b=x) / tau
            V[h, s] = rho1 - eps * np.sum(x * np.log(x)), rho2 - eps * np.sum(y * np.log(y))
    return V


def run_markov(quick: bool = True) -> list[dict]:
    """Markov RQE (backward induction, entropy, ``value="regularized"``): the authors' grid
    world (144 states, 4x4 actions, horizon 15) and a random game (20 states, 3x3, horizon 5),
    ``solve_rqe`` against backward induction with scipy root stage solves
    (``ratio_scipy_root``; the grid-world reference runs only when ``quick=False``)."""
    from robustgames.games import MarkovGame
    from robustgames.games._rqe_grid import rqe_grid_world
    from robustgames.planning._rqe_markov import solve_rqe

    rng = np.random.default_rng(1)
    S, H, k = 20, 5, 3
    P = rng.dirichlet(np.ones(S), size=(H, S, k, k))
    Rw = rng.uniform(-1, 1, size=(H, S, k, k, 2))
    cases = [("rqe_markov_random_20x3x3_H5", MarkovGame(P, Rw), 1.5, 1.0, True),
             ("rqe_markov_grid_world_H15", rqe_grid_world(), 1.5, 1.0, not quick)]
    solve_rqe(cases[0][1], 1.5, 1.0)  # compile / load
    records = []
    for name, game, tau, eps, with_ref in cases:
        t_rqe, sol = _best(lambda: solve_rqe(game, tau, eps), 1 if quick else 3)
        rec = {"case": name, "seconds": t_rqe, "residual": sol.residual, "exploitability": sol.exploitability,
               "stages": game.horizon * game.n_states}
        if with_ref:
            t_sp, V = _best(lambda: _markov_scipy(game, tau, eps), 1)
            rec.update(scipy_root_seconds=t_sp, ratio_scipy_root=t_sp / t_rqe,
                       scipy_root_value_distance=float(np.abs(V - sol.values).max()))
        records.append(rec)
    return records


if __name__ == "__main__":  # pragma: no cover
    for rec in run(quick=False):
        print(rec)
