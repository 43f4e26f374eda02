"""The G-network target of the DrIGM code is more pessimistic than the TV dual it stands for.

Claim (docs/theory.md section 6.2; the TV "G-network" target of the DrIGM code robust-coMARL,
arXiv 2602.11437, read for facts: its G-loss is the batch mean of
``((g - V')_+ - (1 - rho) g)^2`` and its target ``r + gamma [(1 - rho) g - (g - V')_+]``,
exactly as transcribed in ``robustgames.factorization``). With ``g`` the exact minimiser of
the squared loss under the nominal kernel (``g_network_eta``), the target term
``(1 - rho) g - p0.(g - V)_+`` is ONE value of the TV dual objective, so it is ``<=`` the
exactly maximised dual at every ``V``; the dual operator is monotone, hence:

1. **Where the paper's code runs** (rewards ``<= 0``: the SustainGym building reward the code
   trains on is ``-(power + comfort error)``; no terminal transition enters its replay
   buffer, so continuing discounted, and finite horizon): the G-network team fixed point lies
   below the fixed point of the TV dual the code's target stands for (``"tv_dual"``, the
   code's ``rho min V`` dropped as in the code) at every state, strictly on some games.
2. With rewards ``>= 0``, ``g = 0`` minimises the loss (``L(0) = 0``), so the G-network fixed
   point is ``Q = r`` exactly (the future is ignored), below the dual's and below the EXACT
   TV fixed point (``"tv_exact"``) at every state.
3. Where it is NOT more pessimistic: with rewards ``<= 0`` the dropped ``rho min V <= 0``
   outweighs the G-loss's shortfall, and the G-network fixed point lies ABOVE the exact TV
   fixed point (on most states of the random games): against the exact TV operator it is
   optimistic in the code's own sign. Measured and required (> 0 states), so that the
   statement cannot silently flip.

How it is checked: joint-table fixed points (``target_fixed_point``) of ``"g_network"``,
``"tv_dual"`` and ``"tv_exact"`` on seeded random cooperative games (4 states, 2x2 joint
actions, rewards ``-U[0, 1]`` and ``+U[0, 1]``), discounted (gamma = 0.9) and horizon 4.
Decisive number: ``max (V_G - V_dual)`` over the non-positive-reward games (must be
<= 1e-9), with a positive mean gap. Planted bug (the characteristic mistake): taking the
G-network ``g`` to be the dual maximiser, which gives no gap.
"""

from __future__ import annotations

import numpy as np

from robustgames.proofs_checks._claim import detects, result

CLAIM = ("The G-network TV target (g minimising the code's squared loss) has its team fixed point below the TV "
         "dual's at every state, strictly on random games with the code's reward sign (<= 0); with rewards >= 0 "
         "it is Q = r, below the exact TV fixed point; with rewards <= 0 it is above the exact TV fixed point")
SOURCE = "docs/theory.md sec. 6.2; robust-coMARL G-network loss and target, arXiv 2602.11437"
METHOD = ("Exact fixed points of the g_network, tv_dual and tv_exact targets on random cooperative games with "
          "rewards <= 0 and >= 0, discounted and finite horizon")

TOL = 1e-9


def _games(rng, n, sign):
    import robustgames as rg

    for k in range(n):
        for H in (None, 4):
            lead = (4,) if H is None else (H, 4)
            P = rng.dirichlet(np.full(4, 0.5), size=lead + (2, 2))
            r = sign * rng.uniform(size=lead + (2, 2))
            yield rg.MarkovGame(P, np.repeat(r[..., None], 2, axis=-1), gamma=None if H else 0.9), \
                float(rng.uniform(0.1, 0.5))


def check(quick: bool = True, *, planted: bool = False, seed: int = 11, **_) -> object:
    """``planted=True``: the G-network target replaced by the dual maximiser."""
    from robustgames.factorization import target_fixed_point, team_reward

    rng = np.random.default_rng(seed)
    n = 4 if quick else 12
    fp = {}

    def fixed(game, target, rho):
        return target_fixed_point(game, "tv_dual" if (planted and target == "g_network") else target, rho)

    # 1. the code's sign: rewards <= 0
    worst_neg, gaps, above_exact, n_states = -np.inf, [], 0, 0
    for game, rho in _games(rng, n, -1.0):
        g, d, e = (fixed(game, t, rho) for t in ("g_network", "tv_dual", "tv_exact"))
        worst_neg = max(worst_neg, float((g.V - d.V).max()))
        gaps.append(float((d.V - g.V).mean()))
        above_exact += int(((g.V - e.V) > TOL).sum())
        n_states += g.V.size
    # 2. rewards >= 0: Q_G = r, below the exact TV fixed point
    worst_pos, worst_r, gaps_pos = -np.inf, 0.0, []
    for game, rho in _games(rng, n, 1.0):
        g, d, e = (fixed(game, t, rho) for t in ("g_network", "tv_dual", "tv_exact"))
        worst_pos = max(worst_pos, float((g.V - d.V).max()), float((g.V - e.V).max()))
        worst_r = max(worst_r, float(np.max(np.abs(g.Q - team_reward(game).reshape(g.Q.shape)))))
        gaps_pos.append(float((e.V - g.V).mean()))
    mean_gap = float(np.mean(gaps))
    frac_above = above_exact / n_states
    passed = (worst_neg <= TOL and mean_gap > 0 and worst_pos <= TOL and worst_r <= TOL and frac_above > 0)
    evidence = (f"rewards <= 0 ({len(gaps)} games): max (V_G - V_dual) {worst_neg:.3e}, mean gap V_dual - V_G "
                f"{mean_gap:.4g} (largest per-game {max(gaps):.4g}); V_G above the exact TV fixed point on "
                f"{100 * frac_above:.0f}% of states. rewards >= 0 ({len(gaps_pos)} games): "
                f"max (V_G - min(V_dual, V_exact)) {worst_pos:.3e}, max |Q_G - r| {worst_r:.2e}, mean gap "
                f"V_exact - V_G {np.mean(gaps_pos):.4g}")
    return result(passed, evidence, measured=worst_neg, threshold=TOL, mean_gap=mean_gap,
                  frac_states_above_exact_nonpositive=frac_above, max_above_nonneg=worst_pos, max_q_minus_r=worst_r)


def self_test() -> bool:
    """A G-network that maximised the dual (no gap; with rewards >= 0 not ``Q = r``) must be caught."""
    return detects(check, planted=True)


if __name__ == "__main__":  # pragma: no cover
    print(check(quick=False))
