"""Equilibrium certificates of ``rg.solve`` on random games, recomputed by brute force.

Claim (THEORY.md section 3; DR-NVI arXiv 2404.18909 robust Nash value iteration; MORNAVI
arXiv 2508.02948 NASH/CE/CCE oracles): robust value iteration that solves every stage game
``Q_{i,h}(s, .) = r_{i,h}(s, .) + sigma_{U_i(P0_h(.|s,.))}(V_{i,h+1})`` exactly returns a robust
equilibrium of that kind: its robust gap
``max_i [max_{dev} V_i^{dev} - V_i^{pi}](s_1)`` is 0 (Nash: deviations to any policy against a
product policy; CCE: deviations to any policy; CE: strategy modifications ``phi_i o pi``).

How it is checked: ``rg.solve(game, U, equilibrium)`` on seeded random finite-horizon games
(2 players for Nash, 3 players for CE/CCE, shared and agent-wise radii). (1) The returned
gap is ``<= 1e-7``. (2) Every stage policy is certified HERE in numpy (largest deviation gain
in the stage game ``Q_h(s, .)``; product structure for Nash) and by
``robustgames.equilibria`` certificates. (3) The gap is recomputed by BRUTE FORCE: every
deterministic Markov deviation of every player (for CE every per-step, per-state
modification ``phi: A_i -> A_i``) is enumerated and evaluated by backward induction written
here, calling the slow reference support functions (HiGHS LPs, cvxpy conic programs) instead
of the fast kernels; the brute-force per-player gains must match ``sol.gap_per_player`` and
the policy's own robust values must match ``sol.values``.
"""

from __future__ import annotations

import itertools

import numpy as np

from robustgames.proofs_checks._claim import detects, fmt, reference_module, result, uncertainty_set

CLAIM = ("rg.solve returns a robust equilibrium: on random games its robust gap (Nash for 2 players, "
         "CE/CCE for 3) is 0, every stage policy is an equilibrium of its stage game, and a brute-force "
         "enumeration of deviations with reference support functions gives the same per-player gains")
SOURCE = "THEORY.md sec. 3; DR-NVI arXiv 2404.18909 (robust NVI); MORNAVI arXiv 2508.02948 (NASH/CE/CCE)"
METHOD = ("rg.solve on seeded random games; stage certificates recomputed in numpy; gap recomputed by "
          "enumerating all deterministic deviations evaluated with LP/cvxpy reference support functions.")

TOL_GAP = 1e-7
TOL_MATCH = 1e-6


class ReferenceSupport:
    """``sigma_U(p0)(v)`` by the slow reference primal, memoised on ``(row, v)``."""

    def __init__(self, kind, radius):
        ref = reference_module()
        self.kind, self.radius = kind, radius
        self.fn = {"TV": ref.tv, "KL": ref.kl, "ChiSquare": ref.chi_square,
                   "Contamination": ref.contamination}[kind]
        self.cache = {}

    def __call__(self, p0, v):
        key = (p0.tobytes(), v.tobytes())
        if key not in self.cache:
            if self.radius == 0:
                self.cache[key] = float(p0 @ v)
            elif np.ptp(v[p0 > 0]) == 0 and self.kind != "TV" and self.kind != "Contamination":
                self.cache[key] = float(v[p0 > 0][0])
            else:
                self.cache[key] = self.fn(p0, v, self.radius)[0]
        return self.cache[key]


def evaluate_player(game, support, pi, i):
    """Robust value of player ``i`` under the flat joint policy ``pi`` ``(H, S, A)`` by backward
    induction with the reference support function; returns ``mu . V_0`` and ``V``."""
    H, S, A = pi.shape
    P = game.flat_transitions
    R = game.flat_rewards
    V = np.zeros((H + 1, S))
    for h in range(H - 1, -1, -1):
        for s in range(S):
            total = 0.0
            for a in range(A):
                if pi[h, s, a] > 0:
                    total += pi[h, s, a] * (R[h, s, a, i] + support(P[h, s, a], V[h + 1]))
            V[h, s] = total
    return float(game.initial @ V[0]), V


def _moved(pi_hs, acts, i, phi):
    """Joint stage distribution after player ``i`` maps its recommendation ``c`` to ``phi[c]``."""
    full = pi_hs.reshape(acts)
    out = np.zeros_like(full)
    for c in range(acts[i]):
        src = np.take(full, c, axis=i)
        idx = [slice(None)] * len(acts)
        idx[i] = phi[c]
        out[tuple(idx)] += src
    return out.reshape(-1)


def brute_force_gains(game, supports, pi, kind):
    """Per-player best deviation gain by enumerating every deterministic Markov deviation."""
    H, S, A = pi.shape
    acts = game.n_actions
    gains = []
    for i in range(game.n_players):
        own, _ = evaluate_player(game, supports[i], pi, i)
        if kind == "ce":
            choices = list(itertools.product(range(acts[i]), repeat=acts[i]))  # phi: A_i -> A_i
        else:
            choices = [(b,) * acts[i] for b in range(acts[i])]  # constant phi: play b
        best = -np.inf
        for assignment in itertools.product(range(len(choices)), repeat=H * S):
            dev = np.empty_like(pi)
            for k, c in enumerate(assignment):
                h, s = divmod(k, S)
                dev[h, s] = _moved(pi[h, s], acts, i, choices[c])
            best = max(best, evaluate_player(game, supports[i], dev, i)[0])
        gains.append(best - own)
    return np.array(gains)


def stage_gap(q, p, acts, kind):
    """Largest stage deviation gain of joint distribution ``p`` ``(A,)`` for payoffs ``q`` ``(A, n)``."""
    n = len(acts)
    Qf, Pf = q.reshape(acts + (n,)), p.reshape(acts)
    if kind == "nash":
        margs = [Pf.sum(axis=tuple(j for j in range(n) if j != i)) for i in range(n)]
        Pf = margs[0]
        for x in margs[1:]:
            Pf = np.multiply.outer(Pf, x)
    gap = 0.0
    for i in range(n):
        u = np.moveaxis(Qf[..., i], i, 0).reshape(acts[i], -1)
        w = np.moveaxis(Pf, i, 0).reshape(acts[i], -1)
        G = w @ u.T - (w * u).sum(axis=1)[:, None]  # G[c, d]: gain of c -> d
        gap = max(gap, float(np.maximum(G.max(axis=1), 0).sum()) if kind == "ce" else float(G.sum(axis=0).max()))
    return gap


def _cases(quick):
    """(equilibrium, n_actions, set kinds and radii per player) of the instances."""
    cases = [("nash", (2, 2), [("TV", 0.2)] * 2), ("nash", (2, 3), [("TV", 0.1), ("TV", 0.4)]),
             ("cce", (2, 2, 2), [("TV", 0.2)] * 3), ("ce", (2, 2, 2), [("TV", 0.15)] * 3)]
    if not quick:
        cases += [("nash", (2, 2), [("KL", 0.3)] * 2), ("nash", (3, 2), [("ChiSquare", 0.5)] * 2),
                  ("cce", (2, 2, 2), [("Contamination", 0.3)] * 3), ("ce", (2, 2, 2), [("KL", 0.2)] * 3),
                  ("nash", (2, 2), [("TV", 0.0)] * 2)]
    return cases


def check(quick: bool = True, *, solver=None, seed: int = 7, **_) -> object:
    """``solver(game, U, equilibrium) -> Result`` replaces ``rg.solve`` (planted bugs)."""
    import robustgames as rg
    from robustgames import equilibria as eq
    from robustgames.games._random import random_game

    solve = rg.solve if solver is None else solver
    rng = np.random.default_rng(seed)
    reported = stage_mine = stage_lib = match = value_err = product_err = 0.0
    brute_max = 0.0
    lines = []
    for kind, acts, spec in _cases(quick):
        game = random_game(2, acts, 2, rng=rng, support=2)
        sets = [uncertainty_set(k)(r) for k, r in spec]
        sol = solve(game, sets, kind)
        H, S, A, n = game.horizon, game.n_states, game.n_joint_actions, game.n_players
        pi = np.asarray(sol.policy, dtype=float).reshape(H, S, A)
        Q = np.asarray(sol.Q, dtype=float).reshape(H, S, A, n)
        reported = max(reported, float(sol.gap))
        lib_gap = {"nash": eq.nash_gap, "ce": eq.ce_gap, "cce": eq.cce_gap}[kind]
        for h in range(H):
            for s in range(S):
                stage_mine = max(stage_mine, stage_gap(Q[h, s], pi[h, s], acts, kind))
                stage_lib = max(stage_lib, float(lib_gap(Q[h, s].reshape(acts + (n,)), pi[h, s].reshape(acts))))
                if kind == "nash":
                    full = pi[h, s].reshape(acts)
                    m0, m1 = full.sum(axis=1), full.sum(axis=0)
                    product_err = max(product_err, float(np.abs(full - np.multiply.outer(m0, m1)).max()))
        supports = [ReferenceSupport(k, r) for k, r in spec]
        gains = brute_force_gains(game, supports, pi, kind)
        brute_max = max(brute_max, float(gains.max()))
        match = max(match, float(np.abs(gains - np.asarray(sol.gap_per_player)).max()))
        own = np.array([evaluate_player(game, supports[i], pi, i)[1][0] for i in range(n)]).T  # (S, n)
        value_err = max(value_err, float(np.abs(own - np.asarray(sol.values)[0]).max()))
        lines.append(f"{kind}{acts}/{spec[0][0]}: brute {fmt(gains.max())}")
    passed = (reported <= TOL_GAP and brute_max <= TOL_GAP and stage_mine <= TOL_GAP and stage_lib <= TOL_GAP
              and match <= TOL_MATCH and value_err <= TOL_MATCH and product_err <= 1e-9)
    evidence = (f"{len(lines)} random games: reported gap max {fmt(reported)}, brute-force gap max {fmt(brute_max)} "
                f"(<= {TOL_GAP:g}); stage gaps here {fmt(stage_mine)}, by rg.equilibria {fmt(stage_lib)}; "
                f"|brute - reported per player| {fmt(match)}, |values - reference evaluation| {fmt(value_err)}, "
                f"Nash product error {fmt(product_err)}")
    return result(passed, evidence, games=len(lines), reported_gap=reported, brute_gap=brute_max,
                  stage_gap=stage_mine, stage_gap_lib=stage_lib, match=match, value_err=value_err,
                  product_err=product_err)


def _lying_solver(policy_of):
    """A planted solver: returns ``policy_of(game, sol)`` but keeps the honest solution's
    certificate (gap 0) and values."""
    import robustgames as rg

    def solve(game, U, equilibrium):
        sol = rg.solve(game, U, equilibrium)
        pol = policy_of(game, sol)
        return rg.Result(policy=pol, Q=sol.Q, values=sol.values, gap=0.0,
                         gap_per_player=np.zeros(game.n_players))
    return solve


def _uniform(game, sol):
    return np.full(game.policy_shape, 1.0 / game.n_joint_actions)


def _welfare(game, sol):
    """Every stage puts all mass on the joint action maximising the players' total Q."""
    Q = np.asarray(sol.Q).reshape(game.horizon, game.n_states, game.n_joint_actions, game.n_players)
    best = Q.sum(axis=-1).argmax(axis=-1)
    pol = np.zeros(Q.shape[:-1])
    np.put_along_axis(pol, best[..., None], 1.0, axis=-1)
    return pol.reshape(game.policy_shape)


def _nominal_solver(game, U, equilibrium):
    """A planted solver that ignores the uncertainty sets (solves the nominal game, radius 0) and
    returns that solution whole: self-consistent stage certificates, wrong robust game."""
    import robustgames as rg

    return rg.solve(game, [type(u)(0.0) for u in U], equilibrium)


def self_test() -> bool:
    """A solver returning a uniform policy, one returning the welfare-maximising joint action
    (both claiming gap 0), and one ignoring the uncertainty sets must all be caught."""
    solvers = [_lying_solver(_uniform), _lying_solver(_welfare), _nominal_solver]
    return all(detects(check, solver=f) for f in solvers)


if __name__ == "__main__":  # pragma: no cover
    print(check(quick=False))
