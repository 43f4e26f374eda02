"""Outside rectangularity the anchored utilities can miss the robust greedy joint action.

Claim (DrIGM arXiv 2602.11437 states its guarantee through a single worst-case model;
docs/theory.md section 6.1 notes it can fail without (s,a)-rectangularity): with a set of
three GLOBAL models (nature picks one model for all joint actions at once), the model
``P_w`` worst for the joint value at the robust greedy joint action ``a*`` can have its own
greedy joint action ``b != a*``; agents greedy under ``P_w`` (IGM-consistent utilities of
``Q^{P_w}``, here max-marginals with a unique maximum) then play ``b``, whose robust value
is lower.

Instance (one state, 2 x 2 joint actions, rows agent 1)::

    Q^1 = [[1, 0], [0, 3]],  Q^2 = [[2, 0], [0, 0.5]],  Q^3 = [[4, 4], [4, 4]]

``Qrob = min_k Q^k = [[1, 0], [0, 0.5]]``: ``a* = (0, 0)`` with value 1, worst model 1
there; ``Q^1``'s greedy is ``(1, 1)`` with robust value 0.5. Rectangularising the same
models (nature chooses per joint action) gives ``Q^{P_w} = Qrob`` and no loss (checked).
Measured: the robust value lost by the anchored greedy action (must be > 0). Planted bug
(the characteristic mistake): treating the global models as rectangular, i.e. anchoring
to the per-joint-action minimum, which shows no loss.
"""

from __future__ import annotations

import numpy as np

from robustgames.proofs_checks._claim import detects, result

CLAIM = ("With three global (non-rectangular) models the anchored worst model's greedy joint action can "
         "differ from the robust greedy one and lose robust value: DrIGM's guarantee stops there")
SOURCE = "DrIGM arXiv 2602.11437 (single worst-case model); docs/theory.md sec. 6.1"
METHOD = ("Exact three-model instance: robust value lost by the greedy joint action of max-marginal "
          "utilities of the anchored model (> 0); the rectangularised set loses 0")

MODELS = np.array([[[1.0, 0.0], [0.0, 3.0]], [[2.0, 0.0], [0.0, 0.5]], [[4.0, 4.0], [4.0, 4.0]]])


def check(quick: bool = True, *, rectangular: bool = False, **_) -> object:
    """``rectangular=True`` plants the bug (module docstring)."""
    from robustgames.factorization import igm_holds, max_marginals, robust_utilities

    M = MODELS[:, None]  # (K, S=1, 2, 2)
    rob = robust_utilities(M, utilities="max_marginal")
    Qrob = rob.Q_robust[0]
    if rectangular:  # planted: the per-joint-action minimum as "the" worst model
        anchored = max_marginals(rob.Q_robust)
    else:
        anchored = rob.anchored
    g = tuple(int(u[0].argmax()) for u in anchored)
    loss = float(Qrob.max() - Qrob[g])
    ok, _ = igm_holds(rob.Q_robust, anchored)
    rect = max_marginals(rob.Q_robust)
    rect_loss = float(Qrob.max() - Qrob[tuple(int(u[0].argmax()) for u in rect)])
    passed = loss > 0 and not bool(ok[0]) and rect_loss == 0.0
    evidence = (f"a* {tuple(map(int, rob.robust_greedy[0]))} robust value {Qrob.max():g}, worst model "
                f"{int(rob.worst_model[0]) + 1}; anchored greedy {g} robust value {Qrob[g]:g} (loss {loss:g}); "
                f"rectangularised loss {rect_loss:g}")
    return result(passed, evidence, measured=loss, threshold=0.0, relation=">", rectangular_loss=rect_loss)


def self_test() -> bool:
    """Treating the global models as rectangular must be caught (no loss found)."""
    return detects(check, rectangular=True)


if __name__ == "__main__":  # pragma: no cover
    print(check(quick=False))
