"""DRMARL Lemma 3.1: group DRO = minimum over the vertices = minimum over the convex hull.

Claim (DRMARL, arXiv 2503.09755, section 3.1, Lemma 3.1; docs/theory.md sections 2 and 5): for
groups ``P_1..P_m`` of distributions of the exogenous variable ``X`` and ``M = conv{P_g}``

    inf_{P in M} E_{X~P}[r(s, a; X)] = min_g E_{X~P_g}[r(s, a; X)]

for every ``(s, a)``: expectations are linear in the mixture weights, so the infimum over the
hull is attained at a vertex.

How it is checked (generic hull version; the chute-specific version is
``drmarl_lemma31``): for seeded random groups and reward tables ``r(s, a; X)`` (signed,
ties, per-(s,a) hulls) the vertex minimum computed here is compared with the *primal*
problem of the lemma, the infimum of ``E_q[r(s, a; X)]`` over distributions ``q`` of ``X``
constrained to the hull (an LP over ``(q, w)`` with ``q = sum_g w_g P_g``, ``w`` in the
simplex, :func:`hull_primal`, solved HERE by :func:`scipy.optimize.linprog`, HiGHS), with
:func:`robustgames.uncertainty.reference.group`, with the fast
:class:`robustgames.uncertainty.Group` operator (value and minimising vertex, batched over
rows), with the group-DRO backup of the planning layer (``min_g r_g + P.V``), and with
random points of the hull (Dirichlet mixture weights) which must never go below it.
``measured`` is the largest of these discrepancies divided by the range of ``r``
(threshold ``1e-9``). The self-test plants the characteristic mistake of the lemma,
claiming the equality for a set that is not the hull but contains it (the bounding box of
the hull, ``ambiguity="box"``, whose infimum is strictly lower), and wrong group
operators (the group mean, an off-by-one minimum).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog

from robustgames.proofs_checks._claim import (
    detects,
    fmt,
    random_row,
    random_values,
    reference_module,
    result,
    uncertainty_set,
)

CLAIM = ("DRMARL Lemma 3.1: inf_{P in conv{P_1..P_m}} E_P[r(s,a;X)] = min_g E_{P_g}[r(s,a;X)] for every "
         "(s,a): group DRO = minimum over vertices = infimum over distributions of X in the convex hull")
SOURCE = "DRMARL arXiv 2503.09755, sec. 3.1, Lemma 3.1; docs/theory.md section 5 (and section 2)"
METHOD = ("Seeded random groups and reward tables: vertex minimum vs primal LP over q in the hull (linprog, here) "
          "vs reference.group vs rg Group operator (batched) vs group-DRO backup vs random hull points.")

TOL = 1e-9  # relative to the range of r


AMBIGUITY_SETS = ("hull", "box", "tv_ball")


def hull_primal(D, f, ambiguity: str = "hull"):
    """``inf_q E_q[f]`` over distributions ``q`` of ``X`` in an ambiguity set (HiGHS LP, primal).

    ``D`` is ``(m, O)``: the group distributions ``P_1..P_m`` of ``X`` over its ``O``
    support points; ``f`` is ``(O,)``. ``ambiguity``:

    * ``"hull"``: the convex hull, LP over ``(q, w)``: minimise ``f . q`` subject to
      ``q = sum_g w_g P_g``, ``sum_g w_g = 1``, ``q >= 0``, ``w >= 0`` (Lemma 3.1's set);
    * ``"box"``: the bounding box of the hull in the simplex,
      ``{q : sum q = 1, min_g P_g(x) <= q(x) <= max_g P_g(x)}``;
    * ``"tv_ball"``: the TV ball around the group mean ``p_bar`` with radius
      ``max_g TV(P_g, p_bar)`` (variables ``(q, t)``, ``|q - p_bar| <= t``,
      ``sum t <= 2 radius``).

    Box and ball CONTAIN the hull, so their infimum is at most ``min_g P_g . f`` and
    usually strictly below it: they are the planted "outer set" of the self-tests.

    The LP's minimiser is polished onto the set before the value is computed (``w``
    clipped at 0 and renormalised, ``q = w @ D``; for box and ball ``q`` clipped and
    renormalised), so ``value = q . f`` at a point of the set, free of the solver's
    ~1e-9 feasibility slack on the equality ``q = sum_g w_g P_g``.

    Returns
    -------
    (value, q)
    """
    D = np.asarray(D, dtype=float)
    f = np.asarray(f, dtype=float)
    m, O = D.shape
    opts = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}
    if ambiguity == "hull":
        c = np.concatenate([f, np.zeros(m)])
        A_eq = np.block([[np.eye(O), -D.T], [np.zeros((1, O)), np.ones((1, m))]])
        b_eq = np.concatenate([np.zeros(O), [1.0]])
        res = linprog(c, A_eq=A_eq, b_eq=b_eq, bounds=[(0, None)] * (O + m), method="highs", options=opts)
    elif ambiguity == "box":
        bounds = list(zip(D.min(axis=0), D.max(axis=0)))
        res = linprog(f, A_eq=np.ones((1, O)), b_eq=[1.0], bounds=bounds, method="highs", options=opts)
    elif ambiguity == "tv_ball":
        p_bar = D.mean(axis=0)
        radius = 0.5 * np.abs(D - p_bar).sum(axis=1).max()
        c = np.concatenate([f, np.zeros(O)])
        eye = np.eye(O)
        A_ub = np.block([[eye, -eye], [-eye, -eye], [np.zeros((1, O)), np.ones((1, O))]])
        b_ub = np.concatenate([p_bar, -p_bar, [2.0 * radius]])
        A_eq = np.concatenate([np.ones(O), np.zeros(O)])[None]
        res = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=[1.0], bounds=[(0, None)] * (2 * O),
                      method="highs", options=opts)
    else:
        raise ValueError(f"ambiguity must be one of {AMBIGUITY_SETS}, got {ambiguity!r}")
    if res.status != 0:
        raise RuntimeError(f"primal LP over the {ambiguity} failed: {res.message}")
    if ambiguity == "hull":
        w = np.clip(res.x[O:], 0.0, None)
        q = (w / w.sum()) @ D
    else:
        q = np.clip(res.x[:O], 0.0, None)
        q /= q.sum()
    return float(q @ f), q


def check(quick: bool = True, *, Group=None, seed: int = 5, n_tables=None, ambiguity: str = "hull", **_) -> object:
    """``Group`` is a factory ``distributions -> set`` (default the fast operator);
    ``ambiguity`` the set of :func:`hull_primal` (``"hull"``; others are planted bugs)."""
    make = uncertainty_set("Group") if Group is None else Group
    ref = reference_module()
    from robustgames.planning._group_dro import group_dro_backup

    rng = np.random.default_rng(seed)
    n = n_tables or (6 if quick else 40)
    e_lp = e_ref = e_fast = e_vertex = e_backup = 0.0
    hull_below = -np.inf
    rows = 0
    for _ in range(n):
        nS, nA, nX, m = (int(rng.integers(2, 5)), int(rng.integers(2, 4)), int(rng.integers(2, 7)),
                         int(rng.integers(1, 6)))
        # per-(s,a) groups over X: (m, nS, nA, nX); reward table r(s, a; X)
        D = np.stack([[[random_row(rng, nX) for _ in range(nA)] for _ in range(nS)] for _ in range(m)])
        if rng.random() < 0.3 and m > 1:
            D[-1] = D[0]  # duplicated vertices (ties)
        r = np.stack([[random_values(rng, nX) for _ in range(nA)] for _ in range(nS)])
        scale = max(float(np.ptp(r)), 1e-3 * max(1.0, float(np.abs(r).max())))
        # the fast operator, batched over rows: v must be shared, so do one X-table at a time
        for s in range(nS):
            for a in range(nA):
                f, Dsa = r[s, a], D[:, s, a]
                vertex = float((Dsa @ f).min())
                lp, _q = hull_primal(Dsa, f, ambiguity)
                U = make(Dsa)
                p0 = Dsa[0]
                fast = float(U.worst_value(p0, f))
                q = np.asarray(U.worst_distribution(p0, f), dtype=float)
                e_lp = max(e_lp, abs(vertex - lp) / scale)
                e_ref = max(e_ref, abs(vertex - ref.group(Dsa, f)[0]) / scale)
                e_fast = max(e_fast, abs(vertex - fast) / scale)
                # the returned minimiser must be one of the vertices and attain the value
                e_vertex = max(e_vertex, float(np.min(np.abs(Dsa - q).sum(axis=1))),
                               abs(float(q @ f) - vertex) / scale)
                mix = rng.dirichlet(np.full(m, 0.5), size=200) @ Dsa
                hull_below = max(hull_below, (vertex - float((mix @ f).min())) / scale)
                rows += 1
        # batched over rows with a per-row hull and a common value vector
        v = random_values(rng, nX)
        Dflat = D.reshape(m, nS * nA, nX)
        fast_rows = make(Dflat).worst_value(Dflat[0], v)
        e_fast = max(e_fast, float(np.max(np.abs(fast_rows - (Dflat @ v).min(axis=0)))) / max(np.ptp(v), 1e-3))
        # the planning-layer group-DRO backup with group-free transitions: min_g r_g + P.V
        rg_tab = np.einsum("gsax,sax->gsa", D, r)  # r_g(s,a) = E_{P_g}[r(s,a;X)]
        P = rng.dirichlet(np.ones(nS), size=(nS, nA))
        V = rng.normal(size=nS)
        q_backup, _g = group_dro_backup(rg_tab, P, V)
        lp_tab = np.array([[hull_primal(D[:, s, a], r[s, a], ambiguity)[0] for a in range(nA)] for s in range(nS)])
        e_backup = max(e_backup, float(np.max(np.abs(q_backup - (lp_tab + P @ V)))) / scale)
    measured = max(e_lp, e_ref, e_fast, e_vertex, e_backup, hull_below)
    passed = measured <= TOL
    evidence = (f"{rows} (s,a) rows in {n} tables, errors / range(r): "
                f"|vertex min - primal inf over q in {ambiguity}| {fmt(e_lp)}, "
                f"|vertex - reference.group| {fmt(e_ref)}, |vertex - Group operator| {fmt(e_fast)}, "
                f"minimiser off-vertex {fmt(e_vertex)}, |group-DRO backup - (LP + P.V)| {fmt(e_backup)}; "
                f"random hull points below vertex min by at most {fmt(max(hull_below, 0.0))} (all <= {TOL:g})")
    return result(passed, evidence, measured=measured, threshold=TOL, relation="<=", rows=rows, tables=n,
                  err_lp=e_lp, err_ref=e_ref, err_fast=e_fast, err_vertex=e_vertex, err_backup=e_backup,
                  hull_below=hull_below)


class _Planted:
    """Wrong group operators: the mean of the groups (nominal mixture instead of the worst), or
    the minimum over all but the last group (off-by-one)."""

    def __init__(self, D, bug):
        self.D = np.asarray(D, float)
        self.bug = bug

    def _pick(self, v):
        vals = self.D @ v  # (m, ...) rows
        if self.bug == "mean":
            return self.D.mean(axis=0), vals.mean(axis=0)
        k = max(1, self.D.shape[0] - 1)  # the last group is never considered
        g = np.argmin(vals[:k], axis=0)
        if self.D.ndim == 2:
            return self.D[g], vals[g]
        rows = np.arange(self.D.shape[1])
        return self.D[g, rows], vals[g, rows]

    def worst_value(self, p0, v):
        return self._pick(np.asarray(v, float))[1]

    def worst_distribution(self, p0, v):
        return self._pick(np.asarray(v, float))[0]


def self_test() -> bool:
    """The check must fail for an outer set claimed equal to the hull (the bounding box), for
    the group mean and for an off-by-one minimum."""
    return (detects(check, ambiguity="box", n_tables=3)
            and all(detects(check, Group=lambda D, b=b: _Planted(D, b), n_tables=3) for b in ("mean", "offbyone")))


if __name__ == "__main__":  # pragma: no cover
    print(check(quick=False))
