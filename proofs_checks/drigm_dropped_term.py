"""Dropping ``rho min V`` shifts the fixed point by a constant (continuing / finite horizon),
but not with an absorbing terminal state pinned at 0.

Claim (docs/theory.md section 6.2, proved there; the targets of the DrIGM code, arXiv
2602.11437): for the contamination target ``(1 - rho) P0.V`` and the exact-maximised TV
dual without ``rho min V``, both of which satisfy ``T_drop(V + c) = T_drop(V) +
(1 - rho) c``, the team fixed points satisfy

    discounted:      V_exact = V_drop + gamma rho min V_drop / (1 - gamma),
    finite horizon:  V_exact,h = V_drop,h + rho sum_{k=h+1}^{H-1} min V_drop,k,

so greedy policies coincide; with a terminal state pinned at 0 and rewards of both signs
the greedy policies can differ (an instance is searched for and reported).

How it is checked: ``robustgames.factorization.dropped_term_shift`` on seeded random
cooperative games with signed rewards (discounted and finite horizon, both targets);
decisive number: the largest ``||V_exact - V_drop - shift||_inf`` (must be <= 1e-9); a
seeded search over small absorbing instances must find one where the greedy joint actions
of the dropped and exact contamination targets differ. Planted bug (the characteristic
mistake): the shift without the discount factor, ``rho min V_drop / (1 - gamma)``.
"""

from __future__ import annotations

import numpy as np

from robustgames.proofs_checks._claim import detects, result

CLAIM = ("Dropped-term fixed points are the exact ones shifted by gamma rho min V_drop/(1-gamma) "
         "(per-step constants in finite horizon), same greedy policies; not so with a pinned terminal state")
SOURCE = "docs/theory.md sec. 6.2 (proved there); DrIGM code targets, arXiv 2602.11437"
METHOD = ("Exact fixed points on random signed-reward cooperative games: max ||V_exact - V_drop - shift|| "
          "<= 1e-9; seeded search for an absorbing instance with different greedy actions")

TOL = 1e-9


def _coop(rng, S, acts, gamma=None, H=None, absorbing=False, offset=0.0):
    import robustgames as rg

    lead = (S,) if H is None else (H, S)
    P = rng.dirichlet(np.full(S, 0.5), size=lead + tuple(acts))
    r = rng.normal(size=lead + tuple(acts)) + offset
    if absorbing:  # state S-1 absorbing with reward 0 (discounted games only)
        P[S - 1] = 0.0
        P[S - 1, ..., S - 1] = 1.0
        r[S - 1] = 0.0
    return rg.MarkovGame(P, np.repeat(r[..., None], len(acts), axis=-1), gamma=gamma)


def find_absorbing_instance(rng, tries=100, rho=0.8, gamma=0.95):
    """First small absorbing game (terminal pinned at 0, rewards N(-0.5, 1)) where the greedy
    joint actions of the dropped and exact contamination targets differ, or ``None``."""
    from robustgames.factorization import target_fixed_point

    for t in range(tries):
        game = _coop(rng, 3, (2, 2), gamma=gamma, absorbing=True, offset=-0.5)
        d = target_fixed_point(game, "contamination", rho, terminal=[2], tol=1e-12)
        e = target_fixed_point(game, "contamination_exact", rho, terminal=[2], tol=1e-12)
        if not np.array_equal(d.actions[:2], e.actions[:2]):
            return game, d, e, t + 1
    return None


def check(quick: bool = True, *, discount_in_shift: bool = True, seed: int = 3, **_) -> object:
    """``discount_in_shift=False`` plants the bug (module docstring)."""
    from robustgames.factorization import dropped_term_shift

    rng = np.random.default_rng(seed)
    worst, greedy_diff, cases = 0.0, 0, 0
    for k in range(3 if quick else 15):
        for target in ("contamination", "tv_dual"):
            for disc in (True, False):
                game = _coop(rng, 4, (2, 2), gamma=0.9 if disc else None, H=None if disc else 4)
                rho = float(rng.uniform(0.05, 0.6))
                res = dropped_term_shift(game, rho, target=target)
                err = res.error
                if disc and not discount_in_shift:  # planted
                    shift = rho * res.V_drop.min() / (1 - game.gamma)
                    err = float(np.max(np.abs(res.V_exact - res.V_drop - shift)))
                worst = max(worst, err)
                greedy_diff += not res.same_greedy
                cases += 1
    found = find_absorbing_instance(np.random.default_rng(seed + 100))
    n_tries = found[3] if found else None
    passed = worst <= TOL and greedy_diff == 0 and found is not None
    evidence = (f"{cases} fixed-point pairs: max ||V_exact - V_drop - shift|| {worst:.3e}, greedy differs in "
                f"{greedy_diff}; absorbing signed-reward instance with different greedy actions found after "
                f"{n_tries} tries")
    return result(passed, evidence, measured=worst, threshold=TOL, cases=cases, greedy_differs=greedy_diff,
                  absorbing_tries=n_tries)


def self_test() -> bool:
    """The shift without the discount factor must be caught."""
    return detects(check, discount_in_shift=False)


if __name__ == "__main__":  # pragma: no cover
    print(check(quick=False))
