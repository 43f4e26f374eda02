"""Robust value iteration: compiled ``rg.solve`` against numpy + scipy + nashpy.

The case of the issue: robust Nash value iteration on a random 2-player game
(``random_game(100, 5, 20, n_players=2, rng=0)``: S = 100, 5x5 actions, H = 20), TV and
KL balls of radius 0.1, after compilation; target under 0.5 s. In the same run the same
algorithm is written here in plain numpy/scipy (:func:`slow_value_iteration`):

* backups: TV by the numpy-vectorised closed form
  (:func:`robustgames.benchmarks.operators.numpy_tv`), KL by a scipy dual per row
  (:func:`robustgames.benchmarks.operators.scipy_kl_row`, ``minimize_scalar``);
* stage games: Nash by nashpy's Lemke-Howson run from every initial label, keeping the
  verified end point of maximum social welfare (smallest label on ties), which is the
  selection rule of the compiled solver, so both compute the SAME equilibrium; CCE by
  :func:`scipy.optimize.linprog` (HiGHS) maximising social welfare.

The slow version runs the last ``slow_steps`` steps (``h = H-1 .. H-slow_steps`` from
``V_H = 0``) and is extrapolated linearly to ``H`` steps (the cost per step is constant);
its values at step ``H - slow_steps`` are compared with the compiled solution there
(``max_abs_diff``). Also timed: ``rg.solve(..., equilibrium="cce")`` and a single-agent
robust MDP (``n = 1``, 25 actions so the backup has the same size). Times of
``rg.solve`` include the robust evaluation of the returned policy and its certified gap;
``VI only`` records time the backward induction alone (the planning layer's private
``_finite_horizon``). Ratios are ``this / other`` measured in the same run
(``ratio_slow < 1``: the compiled code is faster).
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np

from .operators import RADIUS, numpy_tv, scipy_kl_row

S_DEFAULT, ACTIONS_DEFAULT, H_DEFAULT = 100, 5, 20
TARGET_SECONDS = 0.5
NASH_TOL = 1e-9


# --------------------------------------------------------------------------- slow reference
def numpy_tv_backup(P2d, v, sigma):
    return numpy_tv(P2d, v, sigma)


def scipy_kl_backup(P2d, v, sigma):
    return np.array([scipy_kl_row(P2d[r], v, sigma) for r in range(P2d.shape[0])])


def _gap(A, B, x, y):
    val_a, val_b = x @ A @ y, x @ B @ y
    return max(float((A @ y).max() - val_a), float((x @ B).max() - val_b))


def nashpy_nash(A, B):
    """A Nash equilibrium ``(x, y)`` of the bimatrix game ``(A, B)`` by nashpy's
    Lemke-Howson from every initial label; among verified end points the one of maximum
    welfare, smallest label on ties (the compiled solver's rule)."""
    import nashpy

    m, n = A.shape
    game = nashpy.Game(A, B)
    tol = NASH_TOL * max(1.0, np.abs(A).max(), np.abs(B).max())
    best, best_w = None, -np.inf
    fallback, fallback_gap = None, np.inf
    for k in range(m + n):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                x, y = game.lemke_howson(initial_dropped_label=k)
            except Exception:  # noqa: BLE001  (nashpy raises on some degenerate paths)
                continue
        if x.shape != (m,) or y.shape != (n,) or not (np.isfinite(x).all() and np.isfinite(y).all()):
            continue
        g = _gap(A, B, x, y)
        if g < fallback_gap:
            fallback, fallback_gap = (x, y), g
        if g <= tol:
            w = float(x @ (A + B) @ y)
            if w > best_w + tol:
                best, best_w = (x, y), w
    return best if best is not None else fallback


def scipy_cce(Qs):
    """A welfare-maximising coarse correlated equilibrium of the 2-player stage game
    ``Qs`` (``(A1, A2, 2)``) by :func:`scipy.optimize.linprog` (HiGHS); returns ``(A1*A2,)``."""
    from scipy.optimize import linprog

    A1, A2 = Qs.shape[:2]
    Q1, Q2 = Qs[..., 0], Qs[..., 1]
    rows = []
    for d in range(A1):  # player 1 deviates to d: sum_a x(a) (Q1[d, a2] - Q1[a]) <= 0
        rows.append((Q1[d][None, :] - Q1).ravel())
    for d in range(A2):
        rows.append((Q2[:, d][:, None] - Q2).ravel())
    res = linprog(-(Q1 + Q2).ravel(), A_ub=np.array(rows), b_ub=np.zeros(len(rows)),
                  A_eq=np.ones((1, A1 * A2)), b_eq=[1.0], bounds=(0, None), method="highs")
    if res.status != 0:
        raise RuntimeError(f"CCE LP failed: {res.message}")
    x = np.maximum(res.x, 0.0)
    return x / x.sum()


def slow_value_iteration(game, backup, sigma, equilibrium, steps=None):
    """Finite-horizon robust value iteration in numpy/scipy over the last ``steps`` steps.

    Returns ``(V, h0, seconds)``: values ``(S, n)`` at step ``h0 = H - steps`` and the
    wall time."""
    H, S, A, n = game.horizon, game.n_states, game.n_joint_actions, game.n_players
    acts = game.n_actions
    steps = H if steps is None else min(steps, H)
    P = game.flat_transitions
    R = game.flat_rewards
    V = np.zeros((S, n))
    t0 = time.perf_counter()
    for h in range(H - 1, H - 1 - steps, -1):
        P2d = P[h].reshape(S * A, S)
        Q = np.empty((S, A, n))
        for i in range(n):
            Q[:, :, i] = R[h, :, :, i] + backup(P2d, V[:, i], sigma).reshape(S, A)
        V_new = np.empty((S, n))
        for s in range(S):
            if n == 1:
                V_new[s, 0] = Q[s, :, 0].max()
            elif equilibrium == "nash":
                Qs = Q[s].reshape(acts[0], acts[1], 2)
                x, y = nashpy_nash(Qs[..., 0], Qs[..., 1])
                V_new[s] = [x @ Qs[..., 0] @ y, x @ Qs[..., 1] @ y]
            else:
                pi = scipy_cce(Q[s].reshape(acts[0], acts[1], 2))
                V_new[s] = pi @ Q[s]
        V = V_new
    return V, H - steps, time.perf_counter() - t0


# --------------------------------------------------------------------------- compiled
def _best_of(fn, repeats):
    fn()  # compile / warm up
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _vi_only(game, U, equilibrium):
    """The backward induction of ``rg.solve`` without evaluation and certificate (private
    API of the planning layer; ``None`` if it moved)."""
    try:
        from robustgames.planning._solve import _finite_horizon
        from robustgames.uncertainty import as_player_sets
    except ImportError:
        return None
    sets = as_player_sets(U, game.n_players)
    return lambda: _finite_horizon(game, sets, equilibrium)


def _case(game, U, label, equilibrium, repeats, slow_steps, backup):
    import robustgames as rg

    name = f"{type(U).__name__}"
    kind = equilibrium if game.n_players > 1 else "robust MDP"
    head = f"{kind} {name} {label}"
    t_solve, sol = _best_of(lambda: rg.solve(game, U, equilibrium=equilibrium), repeats)
    vi = _vi_only(game, U, equilibrium)
    t_vi = _best_of(vi, repeats)[0] if vi is not None else None
    V_slow, h0, t_slow_part = slow_value_iteration(game, backup, U.radius, equilibrium, slow_steps)
    steps = game.horizon - h0
    t_slow = t_slow_part * game.horizon / steps
    diff = float(np.max(np.abs(V_slow - sol.values[h0])))
    slow_kind = {"nash": "nashpy Lemke-Howson (all labels, max welfare)",
                 "cce": "scipy linprog CCE (max welfare)"}[equilibrium]
    if game.n_players == 1:
        slow_kind = "argmax"
    slow_kind += " + " + ("numpy TV" if backup is numpy_tv_backup else "scipy KL dual per row")
    recs = []
    if t_vi is not None:
        rec = {"case": f"VI only {head}", "seconds": t_vi, "ratio_slow": t_vi / t_slow,
               "ratio_solve": t_vi / t_solve}
        if equilibrium == "nash" and game.n_players == 2:
            rec["target"] = f"seconds <= {TARGET_SECONDS}"
            rec["target_met"] = bool(t_vi <= TARGET_SECONDS)
        recs.append(rec)
    rec = {"case": f"rg.solve {head}", "seconds": t_solve, "ratio_slow": t_solve / t_slow,
           "gap": float(sol.gap)}
    if equilibrium == "nash" and game.n_players == 2 and t_vi is None:
        rec["target"] = f"seconds <= {TARGET_SECONDS}"
        rec["target_met"] = bool(t_solve <= TARGET_SECONDS)
    recs.append(rec)
    slow = {"case": f"slow {head}", "seconds": t_slow, "method": slow_kind,
            "extrapolated_from_steps": steps, "max_abs_diff": diff}
    if equilibrium == "cce":
        # CCEs are not unique; both solvers maximise welfare, so the welfare must agree
        # even where the per-player split of a tied optimum differs
        welfare = float(np.max(np.abs(V_slow.sum(axis=1) - sol.values[h0].sum(axis=1))))
        slow["max_abs_welfare_diff"] = welfare
    recs.append(slow)
    return recs


def run(quick: bool = True, S: int = S_DEFAULT, n_actions: int = ACTIONS_DEFAULT,
        H: int = H_DEFAULT, repeats: int | None = None, slow_steps: int | None = None) -> list[dict]:
    """Records of every case (see the module docstring).

    Parameters
    ----------
    quick : bool
        Quick profile: 3 repeats, the slow reference over 2 steps (full: 7 repeats, 5 steps).
    S, n_actions, H : int
        Size of the random game (tests pass tiny sizes).
    repeats, slow_steps : int, optional
        Override the profile.
    """
    import robustgames.uncertainty as unc
    from robustgames.games._random import random_game

    repeats = (3 if quick else 7) if repeats is None else repeats
    slow_steps = (2 if quick else 5) if slow_steps is None else slow_steps
    game = random_game(S, n_actions, H, n_players=2, rng=0)
    mdp = random_game(S, n_actions * n_actions, H, n_players=1, rng=0)
    label = f"S={S} A={n_actions}x{n_actions} H={H}"
    mdp_label = f"S={S} A={n_actions * n_actions} H={H} n=1"
    sets = [("TV", numpy_tv_backup), ("KL", scipy_kl_backup)]
    records = []
    for name, backup in sets:
        cls = getattr(unc, name, None)
        if cls is None:
            records.append({"case": f"{name} {label}",
                            "skipped": f"robustgames.uncertainty.{name} is not available yet"})
            continue
        U = cls(RADIUS)
        # the single-agent robust MDP needs no stage solver: values must agree exactly
        records += _case(mdp, U, mdp_label, "nash", repeats, slow_steps if name == "KL" else None, backup)
        for eq in ("nash", "cce"):
            records += _case(game, U, label, eq, repeats, slow_steps, backup)
    return records


if __name__ == "__main__":  # pragma: no cover
    for rec in run():
        print(rec)
