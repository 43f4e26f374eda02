"""Monotone mixing preserves DrIGM.

Claim (DrIGM arXiv 2602.11437: the robust individual values are compatible with QMIX;
docs/theory.md section 6.1): if per-agent robust utilities ``u_i`` satisfy DrIGM for
``Qrob`` (their greedy joint action is robust greedy), then for every mixing ``f``
non-decreasing in each argument the mixed value ``Q_mix(s, a) = f_s(u_1(s, a_1), ..,
u_n(s, a_n))`` is maximised by the same joint action (the product of the per-agent greedy
actions lies in ``argmax Q_mix``), so greedy decentralised execution of the ``u_i`` is
greedy for the mixed team value as well.

How it is checked: anchored utilities (max-marginals of ``Q*_{P^w}``) of random cooperative
games under TV and contamination sets (``robustgames.factorization.team_robust_q``), mixed
by random QMIX-style mixers ``f(u) = w2 . elu(W1 u + b1) + b2`` with state-dependent
weights passed through ``|.|`` (as QMIX's hypernetworks), and by random one-layer
non-negative mixers; IGM of ``(Q_mix, u)`` per state by
``robustgames.factorization.igm_holds``; and the mixed greedy is robust greedy. Decisive
number: states where it fails. Planted bug (the characteristic mistake): hypernetwork
weights without the absolute value (a non-monotone mixer).
"""

from __future__ import annotations

import numpy as np

from robustgames.proofs_checks._claim import detects, result

CLAIM = ("If utilities u_i satisfy DrIGM, every monotone mixing f(u_1..u_n) has the per-agent greedy joint "
         "action among its maximisers (QMIX-style mixers preserve DrIGM)")
SOURCE = "DrIGM arXiv 2602.11437 (compatibility with QMIX); docs/theory.md sec. 6.1"
METHOD = ("Anchored utilities of random cooperative games, mixed by random |W| QMIX-style and non-negative "
          "linear mixers; count states where the product of per-agent greedy actions is not a maximiser")


def _elu(x):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0.0)))


def _mix(rng, u, acts, absolute=True):
    """QMIX-style mixer per state applied to the utilities of every joint action."""
    S, n = u[0].shape[0], len(u)
    grid = np.stack(np.meshgrid(*[np.arange(a) for a in acts], indexing="ij"), axis=-1).reshape(-1, n)
    out = np.empty((S, grid.shape[0]))
    hidden = 4
    for s in range(S):
        x = np.stack([u[i][s, grid[:, i]] for i in range(n)], axis=1)  # (A, n)
        W1 = rng.normal(size=(n, hidden))
        w2 = rng.normal(size=hidden)
        if absolute:
            W1, w2 = np.abs(W1), np.abs(w2)
        out[s] = _elu(x @ W1 + rng.normal(size=hidden)) @ w2 + rng.normal()
    return out.reshape((S,) + tuple(acts))


def check(quick: bool = True, *, absolute: bool = True, seed: int = 7, **_) -> object:
    """``absolute=False`` plants the bug (module docstring)."""
    import robustgames as rg
    from robustgames.factorization import igm_holds, max_marginals, team_robust_q

    rng = np.random.default_rng(seed)
    fails, states = 0, 0
    for k in range(3 if quick else 12):
        acts = (2, 3) if k % 2 == 0 else (2, 2, 2)
        S = 4
        P = rng.dirichlet(np.full(S, 0.5), size=(S,) + acts)
        r = rng.normal(size=(S,) + acts)
        game = rg.MarkovGame(P, np.repeat(r[..., None], len(acts), axis=-1), gamma=0.8)
        for U in (rg.TV(0.3), rg.Contamination(0.2)):
            res = team_robust_q(game, U)
            u = max_marginals(res.Q_worst_model)
            for _rep in range(3):
                Qmix = _mix(rng, u, acts, absolute)
                ok, _ = igm_holds(Qmix, u, tol=1e-12)
                # the mixed greedy (lowest index) must be a robust greedy joint action
                flat = Qmix.reshape(S, -1).argmax(axis=1)
                Qr = res.Q.reshape(S, -1)
                bad = Qr[np.arange(S), flat] < Qr.max(axis=1) - 1e-9
                fails += int((~ok | bad).sum())
                states += S
    passed = fails == 0
    evidence = f"{states} (state, mixer) pairs; product of per-agent greedy actions not maximising Q_mix in {fails}"
    return result(passed, evidence, measured=fails, threshold=0, states=states)


def self_test() -> bool:
    """A mixer without |.| on its hypernetwork weights (not monotone) must be caught."""
    return detects(check, absolute=False)


if __name__ == "__main__":  # pragma: no cover
    print(check(quick=False))
