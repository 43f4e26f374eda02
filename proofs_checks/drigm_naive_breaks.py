"""The naive per-agent worst case breaks IGM; the anchored robust utilities do not.

Claim (DrIGM arXiv 2602.11437, their Example 1, whose numbers are not reproduced here: the
paper's text was not reachable (only its abstract and its code, which
has no such example, were), so this is a minimal instance of our own, docs/theory.md section
6.1): with a family of models ``P_k``,
each satisfying IGM with per-agent utilities ``Q_i^{P_k}`` (here exactly additive,
``Q^{P_k}_tot = sum_i Q_i^{P_k}``), the naive robust individual values
``inf_k Q_i^{P_k}`` (each agent its own worst case) can have a greedy joint action that is
NOT the robust greedy joint action of ``Qrob_tot = min_k Q^{P_k}_tot``, while the anchored
values ``Q_i^{P_w}`` (``P_w`` worst for the joint value at the robust greedy action) are.

Instance (one state, two agents with two actions; agent utilities per model)::

    model 1: u_1 = (1, 0), u_2 = (1, 2)   ->  Q^1 = [[2, 3], [1, 2]]
    model 2: u_1 = (4, 1), u_2 = (4, 0)   ->  Q^2 = [[8, 4], [5, 1]]

``Qrob = [[2, 3], [1, 1]]``: robust greedy ``(0, 1)`` with value 3, worst model 1 there.
Naive: ``u_1 = (1, 0)``, ``u_2 = min((1, 2), (4, 0)) = (1, 0)``: greedy ``(0, 0)``, robust
value 2. Measured: the robust value lost by the naive greedy action (must be > 0), with the
anchored one losing nothing. Planted bug (the characteristic mistake): computing the
"naive" utilities as max-marginals of the joint robust value ``min_k Q^k`` (which hides the
per-agent minimisation and so shows no break).
"""

from __future__ import annotations

import numpy as np

from robustgames.proofs_checks._claim import detects, result

CLAIM = ("Per-agent worst cases inf_P Q_i^P break IGM (their greedy joint action loses robust value) while "
         "the anchored Q_i^{P_w} satisfy DrIGM")
SOURCE = "DrIGM arXiv 2602.11437, Example 1 (minimal instance of ours); docs/theory.md sec. 6.1"
METHOD = ("Exact instance with two additive models: robust value lost by the naive per-agent greedy joint "
          "action (> 0) and by the anchored one (= 0), via robustgames.factorization.igm_holds")

U1 = np.array([[1.0, 0.0], [4.0, 1.0]])  # model k, action of agent 1
U2 = np.array([[1.0, 2.0], [4.0, 0.0]])


def check(quick: bool = True, *, naive: str = "per_agent", **_) -> object:
    """``naive="joint"`` plants the bug (module docstring)."""
    from robustgames.factorization import igm_holds, max_marginals

    M = U1[:, :, None] + U2[:, None, :]  # (K, A1, A2)
    Qrob = M.min(axis=0)
    a_star = np.unravel_index(int(Qrob.argmax()), Qrob.shape)
    kw = int(M[:, a_star[0], a_star[1]].argmin())
    anchored = [U1[kw][None], U2[kw][None]]
    if naive == "per_agent":
        nv = [U1.min(axis=0)[None], U2.min(axis=0)[None]]
    else:  # planted
        nv = max_marginals(Qrob[None])
    ok_a, _ = igm_holds(Qrob[None], anchored)
    ok_n, _ = igm_holds(Qrob[None], nv)
    g_a = tuple(int(u[0].argmax()) for u in anchored)
    g_n = tuple(int(u[0].argmax()) for u in nv)
    loss_a = float(Qrob.max() - Qrob[g_a])
    loss_n = float(Qrob.max() - Qrob[g_n])
    passed = bool(ok_a[0]) and not bool(ok_n[0]) and loss_n > 0 and loss_a == 0
    evidence = (f"Qrob max {Qrob.max():g} at {tuple(map(int, a_star))}; anchored (model {kw + 1}) greedy {g_a} "
                f"loses {loss_a:g}; naive greedy {g_n} loses {loss_n:g} (IGM naive {bool(ok_n[0])})")
    return result(passed, evidence, measured=loss_n, threshold=0.0, relation=">", loss_anchored=loss_a,
                  igm_anchored=bool(ok_a[0]), igm_naive=bool(ok_n[0]))


def self_test() -> bool:
    """Max-marginals of the joint robust value in place of per-agent worst cases must be caught."""
    return detects(check, naive="joint")


if __name__ == "__main__":  # pragma: no cover
    print(check(quick=False))
