"""DrIGM under (s,a)-rectangular sets: the single worst-case model anchors every agent.

Claim (DrIGM arXiv 2602.11437, its theorem on anchored robust individual values; the
rectangular form in docs/theory.md section 6.1): for a cooperative game and an
(s,a)-rectangular set ``U`` (TV, KL, chi-square, contamination, group), the worst-case
kernel ``P^w`` at the robust optimal values ``V*`` satisfies

    Q*_rob = Q*_{P^w}   (the ordinary optimal Q of the MDP with kernel P^w)
    Q*_rob <= Q*_P      for every kernel P in U,

so ``Q*_rob = min_P Q*_P`` is attained by ONE model at every (s, a), and per-agent utilities
that satisfy IGM for ``Q*_{P^w}`` (here its max-marginals) satisfy DrIGM: their greedy
joint action is a robust greedy joint action.

How it is checked: random cooperative games (discounted and finite horizon; 2 and 3
agents), every set family; ``robustgames.factorization.team_robust_q`` gives ``Q*_rob``
and ``P^w``; ``Q*_{P^w}`` and ``Q*_P`` (for kernels ``P`` sampled in the set as mixtures of
``P^w`` with ``P0`` or another group vertex, which lie in the set by convexity) are solved
by an independent non-robust value iteration; IGM is tested with
``robustgames.factorization.igm_holds``. Decisive number: the largest of
``||Q*_rob - Q*_{P^w}||_inf``, ``max (Q*_rob - Q*_P)_+`` and the count of states where
DrIGM fails. Planted bug (the characteristic mistake): anchoring to the model that is worst
at the NOMINAL optimal values instead of at ``V*``.
"""

from __future__ import annotations

import numpy as np

from robustgames.proofs_checks._claim import detects, result

CLAIM = ("Under (s,a)-rectangular sets the worst-case kernel P^w at V* gives Q*_rob = Q*_{P^w} <= Q*_P for "
         "every P in U, so per-agent utilities that are IGM for Q*_{P^w} satisfy DrIGM")
SOURCE = "DrIGM arXiv 2602.11437 (anchored robust individual values); docs/theory.md sec. 6.1"
METHOD = ("Random cooperative games x {TV, KL, chi2, contamination, group}: ||Q*_rob - Q*_{P^w}||, "
          "Q*_rob - Q*_P over sampled P in U, DrIGM of max-marginals of Q*_{P^w}; must all be ~0")

TOL = 1e-8


def _coop(rng, S, acts, gamma=None, H=None):
    import robustgames as rg

    lead = (S,) if H is None else (H, S)
    P = rng.dirichlet(np.full(S, 0.5), size=lead + tuple(acts))
    r = rng.normal(size=lead + tuple(acts))
    R = np.repeat(r[..., None], len(acts), axis=-1)
    return rg.MarkovGame(P, R, gamma=gamma)


def _sets(rng, game):
    import robustgames as rg

    D = rng.dirichlet(np.full(game.n_states, 0.5), size=(3,) + game.transitions.shape[:-1])
    return [rg.TV(0.3), rg.KL(0.4), rg.ChiSquare(0.5), rg.Contamination(0.3), rg.Group(D)]


def check(quick: bool = True, *, anchor: str = "robust", seed: int = 14, **_) -> object:
    """``anchor="nominal"`` plants the bug (module docstring)."""
    from robustgames.factorization import igm_holds, max_marginals, optimal_q, team_robust_q

    rng = np.random.default_rng(seed)
    n_games = 2 if quick else 8
    worst_res, worst_viol, igm_fail, cases = 0.0, 0.0, 0, 0
    for k in range(n_games):
        for acts, disc in (((2, 2), True), ((2, 3), False), ((2, 2, 2), True)):
            S = 3 if quick else 5
            game = _coop(rng, S, acts, gamma=0.9 if disc else None, H=None if disc else 3)
            r = game.flat_rewards[..., 0]
            for U in _sets(rng, game):
                res = team_robust_q(game, U)
                A = game.n_joint_actions
                shape = (S, A, S) if disc else (game.horizon, S, A, S)
                W = res.worst_kernel.reshape(shape)
                if anchor == "nominal":  # planted: worst rows at the nominal optimal values
                    Qn = optimal_q(game.flat_transitions, r, game.gamma)
                    if disc:
                        Vn = Qn.max(axis=-1)
                        W = U.worst_distribution(game.transitions, Vn).reshape(shape)
                    else:
                        Vn = np.vstack([Qn.max(axis=-1), np.zeros((1, S))])
                        W = np.stack([U.at_step(h).worst_distribution(game.transitions[h], Vn[h + 1])
                                      for h in range(game.horizon)]).reshape(shape)
                Qw = optimal_q(W, r, game.gamma)
                Qs = res.Q.reshape(Qw.shape)
                worst_res = max(worst_res, float(np.max(np.abs(Qs - Qw))))
                base = game.flat_transitions if not hasattr(U, "distributions") else \
                    U.distributions.reshape((3,) + shape)[int(rng.integers(3))]
                for t in (0.3, 0.7, 1.0):
                    Pt = (1 - t) * W + t * base
                    Qp = optimal_q(Pt, r, game.gamma)
                    worst_viol = max(worst_viol, float(np.max(Qs - Qp)))
                Qjoint = Qs.reshape((-1,) + acts)
                u = max_marginals(Qw.reshape((-1,) + acts))
                ok, _ = igm_holds(Qjoint, u, tol=1e-9)
                # DrIGM can only be asked where the robust argmax is unique (ties: any product)
                flat = Qjoint.reshape(Qjoint.shape[0], -1)
                unique = (flat >= flat.max(axis=1, keepdims=True) - 1e-9).sum(axis=1) == 1
                igm_fail += int((~ok & unique).sum())
                cases += 1
    measured = max(worst_res, worst_viol, float(igm_fail))
    passed = measured <= TOL
    evidence = (f"{cases} (game, set) cases: max ||Q*_rob - Q*_Pw|| {worst_res:.3e}, max (Q*_rob - Q*_P)_+ "
                f"{max(worst_viol, 0.0):.3e} over 3 sampled P per case, DrIGM failures {igm_fail}")
    return result(passed, evidence, measured=measured, threshold=TOL, cases=cases, residual=worst_res,
                  violation=worst_viol, drigm_failures=igm_fail)


def self_test() -> bool:
    """Anchoring to the model worst at the nominal optimal values must be caught."""
    return detects(check, anchor="nominal")


if __name__ == "__main__":  # pragma: no cover
    print(check(quick=False))
