"""The G-network target of the DrIGM code is more pessimistic than the TV dual it replaces.

Claim (docs/theory.md section 6.2; the TV "G-network" target of the DrIGM code, arXiv
2602.11437): with ``g`` the minimiser of the squared loss
``E_{p0}[((g - V')_+ - (1 - rho) g)^2]`` (solved exactly,
``robustgames.factorization.g_network_eta``), the target term ``(1 - rho) g - p0.(g - V)_+``
is ONE value of the TV dual objective, so it is ``<=`` the exactly maximised dual at every
``V``; the dual operator is monotone, hence the G-network team fixed point lies below the
dual's fixed point everywhere, and strictly below on generic instances (the loss does not
maximise the dual; for ``V >= 0`` on the support it gives ``g = 0``).

How it is checked: joint-table fixed points (``target_fixed_point``) of ``"g_network"`` and
``"tv_dual"`` on seeded random cooperative games with signed and with non-negative rewards,
discounted and finite horizon. Decisive number: ``max (V_G - V_dual)`` (must be <= 1e-9),
and the mean gap must be > 0. Planted bug (the characteristic mistake): taking the G-network
``g`` to be the dual maximiser, which gives no gap.
"""

from __future__ import annotations

import numpy as np

from robustgames.proofs_checks._claim import detects, result

CLAIM = ("The G-network TV target (g minimising the squared loss) is never above the exactly maximised TV "
         "dual, and its team fixed point is strictly more pessimistic on random games")
SOURCE = "docs/theory.md sec. 6.2; DrIGM code targets, arXiv 2602.11437"
METHOD = ("Exact fixed points of the g_network and tv_dual targets on random cooperative games: "
          "max(V_G - V_dual) <= 1e-9 and a positive mean gap")

TOL = 1e-9


def check(quick: bool = True, *, planted: bool = False, seed: int = 11, **_) -> object:
    """``planted=True``: the G-network target replaced by the dual maximiser."""
    import robustgames as rg
    from robustgames.factorization import target_fixed_point

    rng = np.random.default_rng(seed)
    worst, gaps = -np.inf, []
    for k in range(3 if quick else 12):
        for H in (None, 4):
            lead = (4,) if H is None else (H, 4)
            P = rng.dirichlet(np.full(4, 0.5), size=lead + (2, 2))
            r = rng.normal(size=lead + (2, 2)) + (1.0 if k % 2 else 0.0)
            game = rg.MarkovGame(P, np.repeat(r[..., None], 2, axis=-1), gamma=None if H else 0.9)
            rho = float(rng.uniform(0.1, 0.5))
            d = target_fixed_point(game, "tv_dual", rho)
            g = d if planted else target_fixed_point(game, "g_network", rho)
            diff = g.V - d.V
            worst = max(worst, float(diff.max()))
            gaps.append(float(-diff.mean()))
    mean_gap = float(np.mean(gaps))
    passed = worst <= TOL and mean_gap > 0
    evidence = (f"{len(gaps)} games: max (V_G - V_dual) {worst:.3e}, mean gap V_dual - V_G {mean_gap:.4g}, "
                f"smallest per-game gap {min(gaps):.4g}")
    return result(passed, evidence, measured=worst, threshold=TOL, mean_gap=mean_gap)


def self_test() -> bool:
    """A G-network that maximised the dual (no gap) must be caught."""
    return detects(check, planted=True)


if __name__ == "__main__":  # pragma: no cover
    print(check(quick=False))
