"""``robustgames check``: the runner, its table, its JSON and its exit codes."""

from __future__ import annotations

import json
import types

import pytest

from robustgames import cli
from robustgames._result import Result
from robustgames.proofs_checks import _runner
from robustgames.proofs_checks._claim import result


def _module(name, check, self_test=lambda: True):
    mod = types.ModuleType(f"robustgames.proofs_checks.{name}")
    mod.CLAIM = f"planted claim {name}"
    mod.SOURCE = "test"
    mod.METHOD = "planted"
    mod.check = check
    mod.self_test = self_test
    return mod


def _ok(quick=True, **kw):
    return result(True, "fine 1.0", measured=0.25, threshold=1.0, x=1.0)


def _bad(quick=True, **kw):
    return result(False, "wrong 2.0 > 1.0", measured=2.0, threshold=1.0, x=2.0)


def _boom(quick=True, **kw):
    raise ZeroDivisionError("planted crash")


def test_cli_check_quick_only_json(tmp_path, capsys):
    path = tmp_path / "claims.json"
    rc = cli.main(["check", "--quick", "--only", "nesting_relations", "--json", str(path)])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "nesting_relations" in out and "PASS" in out and "1 passed" in out
    rows = json.loads(path.read_text())
    assert isinstance(rows, list) and len(rows) == 1
    row = rows[0]
    for key in ("name", "claim", "source", "method", "status", "passed", "evidence", "verdict", "numbers",
                "seconds"):
        assert key in row
    assert row["name"] == "nesting_relations" and row["status"] == "PASS" and row["passed"] is True
    assert row["claim"] and row["source"] and row["evidence"]
    num = row["numbers"]
    assert num["relation"] == "<=" and num["measured"] <= num["threshold"]
    assert row["verdict"].startswith("measured ") and row["verdict"] in out


def test_cli_check_self_test_flag(capsys):
    rc = cli.main(["check", "--quick", "--self-test", "--only", "nesting_relations"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "self-test: detects planted bug" in out


def test_failing_claim_makes_exit_nonzero(monkeypatch, tmp_path, capsys):
    mods = [("planted_ok", _module("planted_ok", _ok)), ("planted_bad", _module("planted_bad", _bad))]
    monkeypatch.setattr(_runner, "discover", lambda only=None: mods)
    path = tmp_path / "out.json"
    rc = cli.main(["check", "--quick", "--json", str(path)])
    out = capsys.readouterr().out
    assert rc != 0
    assert "FAIL" in out and "wrong 2.0 > 1.0" in out
    # the table shows "measured X <= T: evidence", the progress line the verdict in brackets
    assert "measured 2 <= 1: wrong 2.0 > 1.0" in out and "[measured 0.25 <= 1]" in out
    rows = {r["name"]: r for r in json.loads(path.read_text())}
    assert rows["planted_bad"]["status"] == "FAIL" and rows["planted_ok"]["status"] == "PASS"
    assert rows["planted_bad"]["verdict"] == "measured 2 <= 1"
    assert rows["planted_bad"]["numbers"] == {"x": 2.0, "measured": 2.0, "threshold": 1.0, "relation": "<="}


def test_result_without_verdict_is_flagged(monkeypatch, capsys):
    """A check returning a bare Result (no measured number) still gets a row, marked as such."""
    bare = _module("planted_bare", lambda quick=True, **kw: Result(passed=True, evidence="ok 1", numbers={}))
    monkeypatch.setattr(_runner, "discover", lambda only=None: [("planted_bare", bare)])
    assert _runner.main(quick=True) == 0
    assert "(no measured number reported)" in capsys.readouterr().out


def test_result_requires_measured_and_threshold():
    with pytest.raises(TypeError):
        result(True, "e 1")  # noqa: the missing keywords are the point
    with pytest.raises(ValueError, match="relation"):
        result(True, "e 1", measured=1.0, threshold=2.0, relation="~")
    res = result(False, "e 1", measured=3.0, threshold=2.0, relation=">=")
    assert res.verdict == "measured 3 >= 2" and res.numbers["relation"] == ">="


def test_raising_claim_is_an_error_row_not_a_crash(monkeypatch, capsys):
    mods = [("planted_boom", _module("planted_boom", _boom)), ("planted_ok", _module("planted_ok", _ok)),
            ("planted_import", "import failed: ImportError: nothing here")]
    monkeypatch.setattr(_runner, "discover", lambda only=None: mods)
    rc = _runner.main(quick=True)
    out = capsys.readouterr().out
    assert rc != 0
    assert "ERROR" in out and "ZeroDivisionError" in out and "planted crash" in out
    assert "import failed" in out
    assert "1 passed, 0 failed, 2 errors" in out


def test_failing_self_test_makes_exit_nonzero(monkeypatch, capsys):
    mods = [("planted_blind", _module("planted_blind", _ok, self_test=lambda: False)),
            ("planted_raises", _module("planted_raises", _ok, self_test=lambda: 1 / 0))]
    monkeypatch.setattr(_runner, "discover", lambda only=None: mods)
    assert _runner.main(quick=True) == 0  # without --self-test the claims pass
    rc = _runner.main(quick=True, self_test=True)
    out = capsys.readouterr().out
    assert rc != 0
    assert "SELF-TEST FAILED" in out and "SELF-TEST ERROR" in out


def test_contract_breach_is_an_error(monkeypatch, capsys):
    mod = types.ModuleType("robustgames.proofs_checks.planted_partial")
    mod.check = _ok
    monkeypatch.setattr(_runner, "discover", lambda only=None: [("planted_partial", mod)])
    assert _runner.main(quick=True) != 0
    assert "missing CLAIM" in capsys.readouterr().out


def test_non_bool_passed_is_an_error(monkeypatch, capsys):
    bad = _module("planted_nonbool", lambda quick=True, **kw: Result(passed="yes", evidence="e", numbers={}))
    monkeypatch.setattr(_runner, "discover", lambda only=None: [("planted_nonbool", bad)])
    assert _runner.main(quick=True) != 0
    assert "ERROR" in capsys.readouterr().out


def test_only_without_match(capsys):
    assert _runner.main(quick=True, only=["no_such_claim_xyz"]) == 2
    assert "no claim module matches" in capsys.readouterr().out


def test_discover_skips_helpers_and_filters():
    names = _runner.claim_names()
    assert "_runner" not in names and "_claim" not in names
    assert [n for n, _ in _runner.discover(["kl_dual_primal"])] == ["kl_dual_primal"]
    assert [n for n, _ in _runner.discover("chi2_dual")] == ["chi2_dual_primal"]


@pytest.mark.slow
def test_cli_check_quick_all_pass(capsys):
    assert cli.main(["check", "--quick"]) == 0, capsys.readouterr().out


def _empirical(measured, passed=True):
    from robustgames.proofs_checks._claim import result

    def check(quick=True, **kw):
        return result(passed, f"paper figure 0.5, measured {measured}", measured=measured, threshold=0.5,
                      empirical=True)
    return check


def test_empirical_figure_not_reproduced_is_differs_not_failure(monkeypatch, tmp_path, capsys):
    mods = [("planted_ok", _module("planted_ok", _ok)),
            ("planted_differs", _module("planted_differs", _empirical(0.9))),
            ("planted_reproduced", _module("planted_reproduced", _empirical(0.1)))]
    monkeypatch.setattr(_runner, "discover", lambda only=None: mods)
    path = tmp_path / "out.json"
    rc = _runner.main(quick=True, json_path=str(path))
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "DIFFERS" in out and "not reproduced" in out
    assert "1 differ from a paper's empirical figure (not a failure): planted_differs" in out
    assert "2 passed, 0 failed, 0 errors" in out
    rows = {r["name"]: r for r in json.loads(path.read_text())}
    assert rows["planted_differs"]["status"] == "DIFFERS" and rows["planted_differs"]["numbers"]["reproduced"] is False
    assert rows["planted_reproduced"]["status"] == "PASS" and rows["planted_reproduced"]["numbers"]["reproduced"] is True


def test_empirical_check_failing_its_theorem_criteria_is_a_failure(monkeypatch, capsys):
    mods = [("planted_empirical_bad", _module("planted_empirical_bad", _empirical(0.1, passed=False)))]
    monkeypatch.setattr(_runner, "discover", lambda only=None: mods)
    assert _runner.main(quick=True) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "DIFFERS" not in out
