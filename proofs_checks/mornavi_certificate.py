"""MORNAVI's per-episode certificate: optimism and pessimism hold wherever a bound is reported.

Claim (docs/theory.md section 8, the certificate theorem; MORNAVI arXiv 2508.02948): with
rewards in [0, 1], TV or contamination sets (any radius), the Hoeffding bonus
``b = c_b L_h sqrt((S ln 2 + ln(H S A K / delta)) / (2 N))`` with ``c_b >= 1`` and exact
stage equilibria, with probability at least ``1 - delta`` over the run, in EVERY episode
and for every player ``i``:

    mu.Vbar_{i,0} >= robust best-response value of i against pi^k_{-i}   (optimism),
    mu.Vlow_{i,0} <= robust value of pi^k for i                           (pessimism),

so ``gap(pi^k) <= max(0, max_i mu.(Vbar_{i,0} - Vlow_{i,0}))``, the ``bound`` that
:func:`robustgames.learn` reports. Where no proof applies (KL, chi-square, Bernstein,
``c_b < 1``) ``learn`` reports no bound, and nothing is checked.

How it is checked: an adversarial search over instances where the certificate is
tightest or most likely to be wrongly claimed: (a) a two-point next-state distribution
with probability 1/2 (one player, one action, H = 2), where the L1 deviation bound and the
TV Lipschitz constant are both attained, many seeds; (b) the rare-state game of the audit
(a next state of nominal probability 1e-5 that carries the worst case) under KL(8) and TV;
(c) random games with 1, 2 and 3 players, CCE/CE/Nash, Dirichlet(0.1) rows (tiny nominal
probabilities) and saturated radii (TV(0.9), TV(1.0), contamination 0.5). For every
episode whose bound is reported, both inequalities are checked against the EXACT robust
values ``learn`` computes on the true game (``best_response_value``, ``value``). The
verdict: the largest violation ``max(BRV - optimistic, pessimistic - value)`` over all
reported episodes must be <= 1e-9, with at least one reported episode, and no bound may be
reported for KL.

Planted bugs (self-test): the bonus half as large as the proof requires (``c_b = 0.5``)
while still reporting the bound, and the pre-audit behaviour of reporting KL's number as
a bound (the rare-state game then violates it in most episodes).
"""

from __future__ import annotations

import numpy as np

from robustgames.proofs_checks._claim import detects, fmt, result

CLAIM = ("MORNAVI's reported bound is a certificate: wherever learn() reports it (TV/contamination, Hoeffding "
         "bonus, c_b >= 1), mu.Vbar_i >= robust best-response value and mu.Vlow_i <= robust value of the "
         "policy in every episode; KL is never reported")
SOURCE = "MORNAVI arXiv 2508.02948; docs/theory.md sec. 8 (certificate theorem), sec. 4"
METHOD = ("Adversarial search: two-point kernels at p = 1/2 (many seeds), the rare-state KL game, random games "
          "with n = 1..3, tiny nominal probabilities and saturated radii; exact values from learn().")
TOL = 1e-9


def two_point_game(p=0.5):
    """One player, one action, H = 2, S = 2: from state 0 the next state is 0 (reward 1 at
    step 1) with probability ``p``, else 1 (reward 0). The robust value at the start is
    ``sigma_U((p, 1-p))((1, 0))``; the learner's error is that of a Bernoulli mean."""
    import robustgames as rg

    P = np.zeros((2, 2, 1, 2))
    P[0, :, 0] = [p, 1.0 - p]
    P[1, :, 0, 0] = 1.0
    R = np.zeros((2, 2, 1, 1))
    R[1, 0] = 1.0
    return rg.MarkovGame(P, R)


def rare_state_game(p_rare=1e-5):
    """The audit's game: one player, H = 2; action 0 pays 0.1 and reaches a value-0 state
    with probability ``p_rare`` (else a value-1 state); action 1 pays 0 and reaches the
    value-1 state."""
    import robustgames as rg

    P = np.zeros((2, 3, 2, 3))
    P[0, :, 0] = [0.0, 1.0 - p_rare, p_rare]
    P[0, :, 1] = [0.0, 1.0, 0.0]
    P[1, :, :, 0] = 1.0
    R = np.zeros((2, 3, 2, 1))
    R[0, :, 0] = 0.1
    R[1, 1] = 1.0
    return rg.MarkovGame(P, R)


def _random_game(rng, n_players, n_states=3, n_actions=2, horizon=3, concentration=0.1):
    import robustgames as rg

    acts = (n_actions,) * n_players
    P = rng.dirichlet(np.full(n_states, concentration), size=(horizon, n_states) + acts)
    P = np.maximum(P, 0.0)
    P /= P.sum(axis=-1, keepdims=True)
    R = rng.random((horizon, n_states) + acts + (n_players,))
    return rg.MarkovGame(P, R)


def instances(quick):
    """``(label, game, U, equilibrium, episodes, seeds)`` of the search."""
    import robustgames as rg

    rng = np.random.default_rng(2024)
    seeds = range(40 if quick else 150)
    K = 1000 if quick else 3000
    out = [(f"two-point p=1/2 {U!r}", two_point_game(0.5), U, "cce", K, seeds)
           for U in (rg.TV(0.0), rg.TV(0.05))]
    out.append(("two-point p=1/2 Contamination(0.3)", two_point_game(0.5), rg.Contamination(0.3), "cce", K,
                range(10 if quick else 40)))
    out += [(f"rare state 1e-5 {U!r}", rare_state_game(1e-5), U, "cce", 1500 if quick else 10000, range(2))
            for U in (rg.KL(8.0), rg.TV(0.3), rg.Contamination(0.9))]
    for n, kind, U in ((1, "cce", rg.TV(1.0)), (2, "cce", rg.TV(0.2)), (2, "ce", rg.TV(0.9)),
                       (2, "nash", rg.Contamination(0.5)), (3, "cce", rg.TV(0.5)), (3, "ce", rg.TV(0.0))):
        out.append((f"random n={n} {kind} Dirichlet(0.1) {U!r}", _random_game(rng, n), U, kind,
                    300 if quick else 1500, range(2 if quick else 6)))
    return out


def _reported(learner, res):
    """Default rule: what ``learn`` itself reports."""
    return bool(res.certified)


def check(quick: bool = True, *, c_b: float = 1.0, reported=None, **_):
    """Run the search; ``c_b`` and ``reported(learner, res) -> bool`` are the hooks of the
    self-test (a smaller bonus, a rule that reports bounds the theorem does not cover)."""
    from robustgames.learning import MORNAVI, learn

    reported = _reported if reported is None else reported
    worst, checked, kl_reported = -np.inf, 0, 0
    per_instance = []
    for label, game, U, kind, K, seeds in instances(quick):
        inst_worst, inst_bad = -np.inf, 0
        for seed in seeds:
            learner = MORNAVI(U, equilibrium=kind, c_b=c_b)
            res = learn(game, learner, K, rng=seed, warn=False)
            if not reported(learner, res):
                continue
            if type(U).__name__ == "KL":
                kl_reported += 1
            viol = np.maximum(res.best_response_value - res.optimistic, res.pessimistic - res.value).max(axis=1)
            checked += K
            inst_bad += int(np.sum(viol > TOL))
            inst_worst = max(inst_worst, float(viol.max()))
        worst = max(worst, inst_worst)
        per_instance.append(f"{label}: {inst_bad} violating episodes"
                            + (f" (worst {fmt(inst_worst)})" if np.isfinite(inst_worst) else " (not reported)"))
    passed = checked > 0 and worst <= TOL and kl_reported == 0
    evidence = (f"{checked} reported episodes checked; largest violation of optimism/pessimism {fmt(worst)} "
                f"(must be <= {TOL:g}); KL runs with a reported bound: {kl_reported}. "
                + "; ".join(per_instance))
    return result(passed, evidence, measured=worst, threshold=TOL, relation="<=",
                  episodes_checked=checked, kl_reported=kl_reported)


def self_test() -> bool:
    """Planted bugs: (1) the bonus half as large as the proof requires, still reported;
    (2) the pre-audit rule that reported KL's number as a certified bound."""
    import robustgames as rg

    def covered_family(learner, res):  # reports whenever the family is covered, whatever c_b
        return isinstance(learner.U, (rg.TV, rg.Contamination))

    def always(learner, res):
        return True

    return detects(check, c_b=0.5, reported=covered_family) and detects(check, reported=always)


if __name__ == "__main__":  # pragma: no cover
    print(check(quick=False))
