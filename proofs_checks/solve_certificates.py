"""Equilibrium certificates of ``rg.solve`` on random games, recomputed by brute force.

Claim (docs/theory.md section 3; DR-NVI arXiv 2404.18909 robust Nash value iteration; MORNAVI
arXiv 2508.02948 NASH/CE/CCE oracles): robust value iteration that solves every stage game
``Q_{i,h}(s, .) = r_{i,h}(s, .) + sigma_{U_i(P0_h(.|s,.))}(V_{i,h+1})`` exactly returns a robust
equilibrium of that kind: its robust gap
``max_i [max_{dev} V_i^{dev} - V_i^{pi}](s_1)`` is 0 (Nash: deviations to any policy against a
product policy; CCE: deviations to any policy; CE: strategy modifications ``phi_i o pi``), and
the gap it reports is the true robust gap of ANY joint policy. For a discounted single-agent
game (a robust MDP) value iteration stopped at ``gamma/(1-gamma) ||V_{k+1} - V_k||_inf <= tol``
has an iterate within ``tol`` of the optimal values ``V*`` (``gamma``-contraction).

How it is checked: ``rg.solve(game, U, equilibrium)`` on seeded random finite-horizon games
(2 players for Nash, 3 players for CE/CCE, shared and agent-wise radii). (1) The returned
gap is ``<= 1e-7``. (2) Every stage policy is certified HERE in numpy (largest deviation gain
in the stage game ``Q_h(s, .)``; product structure for Nash) and by
``robustgames.equilibria`` certificates. (3) The gap is recomputed by BRUTE FORCE: every
deterministic Markov deviation of every player (for CE every per-step, per-state
modification ``phi: A_i -> A_i``) is enumerated and evaluated by backward induction written
here, calling the slow reference support functions (HiGHS LPs, cvxpy conic programs) instead
of the fast kernels; the brute-force per-player gains must match ``sol.gap_per_player`` and
the policy's own robust values must match ``sol.values``. (4) The certificates themselves,
away from equilibrium: ``rg.gap`` on a random correlated policy of every game and the
``rg.equilibria`` stage gaps on random stage games must equal the brute force (for CE the best
modification often changes both recommendations of a state, which a single swap ``c -> d``
per state cannot express; the evidence counts such states). (5) Discounted robust MDPs with
``gamma`` close to 1 (:func:`delayed_reward_mdp`): the optimal action wins by ``5 tol`` but value
iteration prefers the other one until its iterate is within a few ``tol`` of ``V*``, so a
stopping rule without the factor ``gamma/(1-gamma)`` returns the worse action. ``V*`` is found
by brute force over deterministic stationary policies, each evaluated exactly (policy
iteration for nature with reference worst cases and linear solves); ``sol.values`` must be
within ``tol`` of ``V*`` and equal the exact values of ``sol.policy`` to 1e-9.
"""

from __future__ import annotations

import itertools

import numpy as np

from robustgames.proofs_checks._claim import decisive, detects, fmt, reference_module, result, uncertainty_set

CLAIM = ("rg.solve returns a robust equilibrium: on random games its robust gap (Nash for 2 players, "
         "CE/CCE for 3) is 0, every stage policy is an equilibrium of its stage game, and a brute-force "
         "enumeration of deviations with reference support functions gives the same per-player gains; "
         "rg.gap is the true gap of any policy; discounted robust MDP values are within tol of V*")
SOURCE = "docs/theory.md sec. 3; DR-NVI arXiv 2404.18909 (robust NVI); MORNAVI arXiv 2508.02948 (NASH/CE/CCE)"
METHOD = ("rg.solve on seeded random games; stage certificates recomputed in numpy; gaps of solutions and of "
          "random correlated policies recomputed by enumerating all deterministic deviations (CE: all phi) "
          "with LP/cvxpy reference support functions; gamma=0.98 delayed-reward MDP vs brute-force V*.")

TOL_GAP = 1e-7
TOL_MATCH = 1e-6
#: Nash stage policies are products of their marginals to this accuracy
TOL_PRODUCT = 1e-9
#: rg.gap / rg.equilibria certificates of arbitrary policies against the brute force
TOL_CERT = 1e-8
#: random stage games per case on which the rg.equilibria certificates are recomputed
STAGE_CASES = 10
#: discounted solves: rg.solve(..., tol=TOL_VI) must return values within TOL_VI of V* ...
TOL_VI = 1e-6
#: ... the optimal action of the delayed-reward MDP wins by TRAP_MARGIN * TOL_VI (> gamma TOL_VI) ...
TRAP_MARGIN = 5.0
#: ... and the returned values are the robust values of the returned policy (evaluated to 1e-10)
TOL_EVAL = 1e-9


class ReferenceSupport:
    """``sigma_U(p0)(v)`` by the slow reference primal, memoised on ``(row, v)``;
    :meth:`worst` also returns the primal's minimiser. With ``dual=True`` a TV ball is
    evaluated by the reference dual (numpy, maximised over its breakpoints; no minimiser), a
    hundred times faster than the LP, for enumerations over many deviations."""

    def __init__(self, kind, radius, dual=False):
        ref = reference_module()
        self.kind, self.radius = kind, radius
        self.fn = {"TV": ref.tv, "KL": ref.kl, "ChiSquare": ref.chi_square,
                   "Contamination": ref.contamination}[kind]
        if dual and kind == "TV":
            self.fn = lambda p0, v, sigma: (ref.tv_dual(p0, v, sigma), None)
        self.cache = {}

    def worst(self, p0, v):
        """``(sigma_U(p0)(v), a minimising distribution)``."""
        key = (p0.tobytes(), v.tobytes())
        if key not in self.cache:
            if self.radius == 0:
                self.cache[key] = (float(p0 @ v), p0.copy())
            elif np.ptp(v[p0 > 0]) == 0 and self.kind != "TV" and self.kind != "Contamination":
                self.cache[key] = (float(v[p0 > 0][0]), p0.copy())
            else:
                value, q = self.fn(p0, v, self.radius)
                self.cache[key] = (float(value), None if q is None else np.asarray(q, dtype=float))
        return self.cache[key]

    def __call__(self, p0, v):
        return self.worst(p0, v)[0]


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


def brute_force_gains(game, supports, pi, kind, details=None):
    """Per-player best deviation gain by enumerating every deterministic Markov deviation.

    ``details`` (a dict, optional) receives ``"multi_swap"``: for each player, the number of
    ``(h, s)`` at which its best deviation changes more than one recommendation (a strategy
    modification no single swap ``c -> d`` per state can express)."""
    H, S, A = pi.shape
    acts = game.n_actions
    gains = []
    multi = []
    for i in range(game.n_players):
        own, _ = evaluate_player(game, supports[i], pi, i)
        if kind == "ce":
            choices = list(itertools.product(range(acts[i]), repeat=acts[i]))  # phi: A_i -> A_i
        else:
            choices = [(b,) * acts[i] for b in range(acts[i])]  # constant phi: play b
        best, best_assignment = -np.inf, None
        for assignment in itertools.product(range(len(choices)), repeat=H * S):
            dev = np.empty_like(pi)
            for k, c in enumerate(assignment):
                h, s = divmod(k, S)
                dev[h, s] = _moved(pi[h, s], acts, i, choices[c])
            value = evaluate_player(game, supports[i], dev, i)[0]
            if value > best:
                best, best_assignment = value, assignment
        gains.append(best - own)
        multi.append(sum(sum(phi[c] != c for c in range(acts[i])) > 1
                         for phi in (choices[c] for c in best_assignment)))
    if details is not None:
        details["multi_swap"] = multi
    return np.array(gains)


def stage_brute_force_gap(q, p, acts, kind):
    """Largest stage deviation gain of ``p`` ``(A,)`` for payoffs ``q`` ``(A, n)`` by enumerating
    every strategy modification ``phi: A_i -> A_i`` (CE) or constant deviation (Nash/CCE; for
    Nash against the product of ``p``'s marginals)."""
    n = len(acts)
    if kind == "nash":
        Pf = p.reshape(acts)
        prod = None
        for i in range(n):
            m = Pf.sum(axis=tuple(j for j in range(n) if j != i))
            prod = m if prod is None else np.multiply.outer(prod, m)
        p = prod.reshape(-1)
    gap = 0.0
    for i in range(n):
        if kind == "ce":
            choices = itertools.product(range(acts[i]), repeat=acts[i])
        else:
            choices = [(b,) * acts[i] for b in range(acts[i])]
        base = float(p @ q[:, i])
        for phi in choices:
            gap = max(gap, float(_moved(p, acts, i, phi) @ q[:, i]) - base)
    return gap


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


def discounted_values(game, support, pi, rounds=100):
    """Robust values ``(S,)`` of the stationary flat policy ``pi`` ``(S, A)`` of a discounted
    single-player game, exactly: policy iteration for nature (fix the reference worst-case
    distributions at the current values, solve the linear system ``V = r + gamma P V``,
    repeat until nature cannot lower any value). Returns ``(V, residual)`` with ``residual``
    the sup-norm Bellman residual of ``V`` under the reference support function."""
    S, A = pi.shape
    P, R, g = game.flat_transitions, game.flat_rewards[:, :, 0], game.gamma
    r = (pi * R).sum(axis=1)
    Pn = np.einsum("sa,sat->st", pi, P)
    for _ in range(rounds):
        V = np.linalg.solve(np.eye(S) - g * Pn, r)
        Pn = np.zeros((S, S))
        backup = r.copy()
        for s in range(S):
            for a in range(A):
                if pi[s, a] > 0:
                    value, q = support.worst(P[s, a], V)
                    Pn[s] += pi[s, a] * q
                    backup[s] += g * pi[s, a] * value
        residual = float(np.abs(backup - V).max())
        if residual <= 1e-12 * max(1.0, float(np.abs(V).max())):
            break
    return V, residual


def discounted_optimum(game, support):
    """Optimal robust values ``V*`` ``(S,)`` of a discounted single-player game by brute force:
    the elementwise maximum over every deterministic stationary policy (one of them is optimal
    at every state under (s,a)-rectangular sets), each evaluated by :func:`discounted_values`."""
    S, A = game.n_states, game.n_joint_actions
    best, residual = np.full(S, -np.inf), 0.0
    for actions in itertools.product(range(A), repeat=S):
        pi = np.zeros((S, A))
        pi[np.arange(S), actions] = 1.0
        V, res = discounted_values(game, support, pi)
        best, residual = np.maximum(best, V), max(residual, res)
    return best, residual


def delayed_reward_mdp(gamma, radius, tol, margin):
    """A discounted robust MDP (TV ball of ``radius``) on which stopping value iteration early
    picks a worse action.

    State 1 pays 1 forever, state 2 pays 0 forever (both absorbing). In state 0, action 1
    (reward 0) leads to state 1 and action 0 pays ``c`` once and leads to state 2, with ``c``
    chosen so that action 1 is optimal by ``margin * tol``: ``c = Q*(0, 1) - margin tol``.
    Value iteration from 0 learns ``V(1)`` slowly (rate ``gamma (1 - radius)``) and meanwhile
    prefers action 0. Any ``V`` within ``tol`` of ``V*`` gives ``Q(0, 1) >= Q*(0, 1) - gamma tol
    > c = Q(0, 0)`` (``margin > gamma``), so a solver whose iterate is within ``tol`` returns the
    optimal policy; one stopped when ``||V_{k+1} - V_k|| <= tol`` (without the factor
    ``gamma/(1-gamma)``) returns action 0 and loses ``margin * tol``."""
    import robustgames as rg

    rho = gamma * (1.0 - radius)  # TV moves `radius` of the mass to state 2 (value 0)
    q_star = rho / (1.0 - rho)  # Q*(0, 1) = gamma ((1 - radius) V*(1) + radius * 0)
    P = np.zeros((3, 2, 3))
    P[0, 0, 2] = P[0, 1, 1] = 1.0
    P[1, :, 1] = P[2, :, 2] = 1.0
    R = np.zeros((3, 2, 1))
    R[0, 0, 0] = q_star - margin * tol
    R[1, :, 0] = 1.0
    return rg.MarkovGame(P, R, gamma=gamma)


def _discounted_cases(quick):
    """(gamma, radius) of the delayed-reward instances solved with ``tol = TOL_VI``."""
    return [(0.98, 0.02)] if quick else [(0.98, 0.02), (0.95, 0.05), (0.99, 0.01)]


def check(quick: bool = True, *, solver=None, seed: int = 7, **_) -> object:
    """``solver(game, U, equilibrium, **kw) -> Result`` replaces ``rg.solve`` (planted bugs)."""
    import robustgames as rg
    from robustgames import equilibria as eq
    from robustgames.games._random import random_game

    solve = rg.solve if solver is None else solver
    rng = np.random.default_rng(seed)
    reported = stage_mine = stage_lib = match = value_err = product_err = 0.0
    brute_max = cert_err = stage_cert_err = 0.0
    multi_swap = 0
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
        # the certificate itself on a random correlated policy (far from equilibrium): rg.gap's
        # per-player gains against the brute force (for CE: modifications phi, often two swaps)
        rand = rng.dirichlet(np.full(A, 0.5), size=(H, S))
        details = {}
        duals = [ReferenceSupport(k, r, dual=True) for k, r in spec]
        rand_gains = brute_force_gains(game, duals, rand, kind, details)
        cert = rg.gap(game, sets, rand.reshape(game.policy_shape), kind)
        cert_err = max(cert_err, float(np.abs(rand_gains - np.asarray(cert.per_player)).max()))
        multi_swap += sum(details["multi_swap"])
        # ... and the stage certificates of rg.equilibria on random stage games
        for _ in range(STAGE_CASES):
            q, p = rng.random((A, n)), rng.dirichlet(np.full(A, 0.5))
            truth = stage_brute_force_gap(q, p, acts, kind)
            stage_cert_err = max(stage_cert_err, abs(float(lib_gap(q.reshape(acts + (n,)), p.reshape(acts))) - truth))
        lines.append(f"{kind}{acts}/{spec[0][0]}: brute {fmt(gains.max())}")
    # discounted robust MDPs where the stopping rule matters (gamma close to 1)
    opt_err = eval_err = ref_residual = 0.0
    for gamma, radius in _discounted_cases(quick):
        mdp = delayed_reward_mdp(gamma, radius, TOL_VI, TRAP_MARGIN)
        U = uncertainty_set("TV")(radius)
        sol = solve(mdp, U, "nash", tol=TOL_VI)
        support = ReferenceSupport("TV", radius)
        v_star, res1 = discounted_optimum(mdp, support)
        pol = np.asarray(sol.policy, dtype=float).reshape(mdp.n_states, mdp.n_joint_actions)
        v_pol, res2 = discounted_values(mdp, support, pol)
        values = np.asarray(sol.values, dtype=float)[:, 0]
        opt_err = max(opt_err, float(np.abs(values - v_star).max()))
        eval_err = max(eval_err, float(np.abs(values - v_pol).max()))
        ref_residual = max(ref_residual, res1, res2)
        lines.append(f"discounted gamma={gamma}")
    criteria = [("reported gap", reported, TOL_GAP), ("brute-force gap", brute_max, TOL_GAP),
                ("stage gap (numpy here)", stage_mine, TOL_GAP), ("stage gap (rg.equilibria)", stage_lib, TOL_GAP),
                ("|brute - reported gap per player|", match, TOL_MATCH),
                ("|values - reference evaluation|", value_err, TOL_MATCH),
                ("Nash product error", product_err, TOL_PRODUCT),
                ("|rg.gap - brute force| on random correlated policies", cert_err, TOL_CERT),
                ("|rg.equilibria gap - brute force| on random stage games", stage_cert_err, TOL_CERT),
                ("|discounted values - V*| (tol)", opt_err, TOL_VI),
                ("|discounted values - exact evaluation of the policy|", eval_err, TOL_EVAL)]
    passed, label, measured, threshold = decisive(criteria)
    evidence = (f"decisive: {label}; {len(_cases(quick))} random games: reported gap max {fmt(reported)}, "
                f"brute-force gap max {fmt(brute_max)} (<= {TOL_GAP:g}); stage gaps here {fmt(stage_mine)}, by "
                f"rg.equilibria {fmt(stage_lib)}; |brute - reported per player| {fmt(match)}, |values - reference "
                f"evaluation| {fmt(value_err)} (<= {TOL_MATCH:g}), Nash product error {fmt(product_err)}; "
                f"certificates on random policies: |rg.gap - brute| {fmt(cert_err)} (best CE modifications change "
                f"two recommendations at {multi_swap} states), stage |rg.equilibria - brute| {fmt(stage_cert_err)} "
                f"(<= {TOL_CERT:g}); {len(_discounted_cases(quick))} delayed-reward robust MDPs (tol {TOL_VI:g}): "
                f"|values - V*| {fmt(opt_err)} (<= {TOL_VI:g}), |values - exact evaluation| {fmt(eval_err)} "
                f"(<= {TOL_EVAL:g}), reference residual {fmt(ref_residual)}")
    return result(passed, evidence, measured=measured, threshold=threshold, decisive=label, games=len(lines),
                  reported_gap=reported, brute_gap=brute_max, stage_gap=stage_mine, stage_gap_lib=stage_lib,
                  match=match, value_err=value_err, product_err=product_err, certificate_err=cert_err,
                  stage_certificate_err=stage_cert_err, multi_swap_states=multi_swap, discounted_opt_err=opt_err,
                  discounted_eval_err=eval_err, reference_residual=ref_residual)


def _lying_solver(policy_of):
    """A planted solver: returns ``policy_of(game, sol)`` but keeps the honest solution's
    certificate (gap 0) and values."""
    import robustgames as rg

    def solve(game, U, equilibrium, **kw):
        sol = rg.solve(game, U, equilibrium, **kw)
        pol = policy_of(game, sol)
        return rg.Result(policy=pol, Q=sol.Q, values=sol.values, gap=0.0,
                         gap_per_player=np.zeros(game.n_players))
    return solve


def _uniform(game, sol):
    return np.full(game.policy_shape, 1.0 / game.n_joint_actions)


def _welfare(game, sol):
    """Every stage puts all mass on the joint action maximising the players' total Q."""
    Q = np.asarray(sol.Q).reshape(-1, game.n_joint_actions, game.n_players)
    best = Q.sum(axis=-1).argmax(axis=-1)
    pol = np.zeros(Q.shape[:-1])
    np.put_along_axis(pol, best[..., None], 1.0, axis=-1)
    return pol.reshape(game.policy_shape)


def _nominal_solver(game, U, equilibrium, **kw):
    """A planted solver that ignores the uncertainty sets (solves the nominal game, radius 0) and
    returns that solution whole: self-consistent stage certificates, wrong robust game."""
    import robustgames as rg

    sets = U if isinstance(U, (list, tuple)) else [U]
    return rg.solve(game, [type(u)(0.0) for u in sets], equilibrium, **kw)


def _early_stopping_solver(game, U, equilibrium, tol=1e-8, **kw):
    """A planted solver whose discounted value iteration stops when ``||V_{k+1} - V_k|| <= tol``,
    without the factor ``gamma/(1-gamma)``: exactly ``rg.solve`` with ``tol`` scaled by
    ``gamma/(1-gamma)``."""
    import robustgames as rg

    if game.discounted:
        tol = tol * game.gamma / (1.0 - game.gamma)
    return rg.solve(game, U, equilibrium, tol=tol, **kw)


def self_test() -> bool:
    """A solver returning a uniform policy, one returning the welfare-maximising joint action
    (both claiming gap 0), one ignoring the uncertainty sets and one stopping discounted value
    iteration without the ``gamma/(1-gamma)`` factor must all be caught."""
    solvers = [_lying_solver(_uniform), _lying_solver(_welfare), _nominal_solver, _early_stopping_solver]
    return all(detects(check, solver=f) for f in solvers)


if __name__ == "__main__":  # pragma: no cover
    print(check(quick=False))
