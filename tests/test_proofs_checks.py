"""The claim modules of ``proofs_checks/``: contract, each claim holds, each self-test
detects its planted bug.

The ``drmarl_*`` modules are tested in ``test_drmarl_checks.py``; the contract test here
covers every claim module the runner discovers.
"""

from __future__ import annotations

import importlib

import pytest

from robustgames._result import Result
from robustgames.proofs_checks._runner import claim_names

MINE = [
    "tv_closed_form_dual_lp",
    "kl_dual_primal",
    "chi2_dual_primal",
    "entropic_risk_kl_duality",
    "robust_below_nominal_monotone",
    "nesting_relations",
    "contraction",
    "group_dro_lemma31",
    "solve_certificates",
    "zero_sum_maxmin",
]
#: self-tests that take several seconds (several solves or many LPs)
SLOW_SELF_TESTS = {"solve_certificates", "zero_sum_maxmin"}


def _load(name):
    return importlib.import_module(f"robustgames.proofs_checks.{name}")


def test_all_my_claims_are_discovered():
    assert set(MINE) <= set(claim_names())
    assert not any(n.startswith("_") for n in claim_names())


@pytest.mark.parametrize("name", claim_names())
def test_contract(name):
    mod = _load(name)
    for attr in ("CLAIM", "SOURCE", "METHOD"):
        text = getattr(mod, attr)
        assert isinstance(text, str) and len(text.strip()) > 10, (name, attr)
    assert callable(mod.check) and callable(mod.self_test)
    assert mod.__doc__ and len(mod.__doc__) > 50


@pytest.mark.parametrize("name", [n for n in MINE])
def test_source_cites_paper_or_theory(name):
    src = _load(name).SOURCE
    assert "arXiv" in src or "docs/theory.md" in src
    assert "THEORY.md" not in src and "THEORY.md" not in _load(name).__doc__  # the shared notes are not the product


@pytest.mark.parametrize("name", MINE)
def test_quick_check_passes(name):
    res = _load(name).check(quick=True)
    assert isinstance(res, Result)
    assert isinstance(res.passed, bool) and isinstance(res.evidence, str) and isinstance(res.numbers, dict)
    assert "\n" not in res.evidence and any(ch.isdigit() for ch in res.evidence)
    assert res.passed, res.evidence
    # the verdict states the decisive number and the threshold it was judged against, consistently
    num = res.numbers
    assert {"measured", "threshold", "relation"} <= set(num)
    assert num["relation"] == "<=" and num["measured"] <= num["threshold"], res.verdict
    assert res.verdict.startswith("measured ") and " <= " in res.verdict


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.slow) if n in SLOW_SELF_TESTS else n for n in MINE
])
def test_self_test_detects_planted_bug(name):
    assert _load(name).self_test() is True


def test_detects_requires_a_clean_failure():
    """An exception inside a planted run is not counted as a detection."""
    from robustgames.proofs_checks._claim import detects, result

    def raising(quick=True, **kw):
        raise RuntimeError("boom")

    def failing(quick=True, **kw):
        return result(False, "x 1", measured=2.0, threshold=1.0)

    def passing(quick=True, **kw):
        return result(True, "x 1", measured=0.5, threshold=1.0)

    assert detects(failing) is True
    assert detects(passing) is False
    assert detects(raising) is False


def test_tv_check_fails_on_a_wrong_radius_convention():
    """Direct planted-bug run with its evidence: an L1 budget read as a TV radius."""
    mod = _load("tv_closed_form_dual_lp")
    res = mod.check(quick=True, TV=lambda r: mod._Planted(r, "l1"), n_rows=10)
    assert not res.passed
    assert res.numbers["err_lp"] > 1e-3
    assert res.numbers["measured"] > res.numbers["threshold"]  # the decisive number shows the failure


def test_contraction_reports_gamma_attained():
    """Translated pairs make the bound tight: the largest ratio is gamma (to round-off)."""
    res = _load("contraction").check(quick=True, n_pairs=10, climb_steps=5)
    assert res.passed
    assert abs(res.numbers["max_ratio"] - 0.9) < 1e-6


def test_contraction_fails_for_gamma_above_one_operator():
    """A support function that is not translation-equivariant breaks the contraction."""
    mod = _load("contraction")
    from robustgames.proofs_checks._claim import function_set

    res = mod.check(quick=True, sets={"KL": function_set(lambda P, v, r: 1.2 * (P @ v), 0.1)},
                    n_pairs=10, climb_steps=5)
    assert not res.passed and res.numbers["max_ratio"] > 0.9 * 1.1
    assert res.numbers["measured"] > res.numbers["threshold"] == mod.SLACK
