"""Bad command-line arguments: exit status 2, one ``error:`` line naming the argument, no traceback."""

from __future__ import annotations

import pathlib

import pytest

from robustgames import cli
from robustgames.experiments import regret

ROOT = pathlib.Path(cli.__file__).resolve().parent


def _module_names(package: str) -> set[str]:
    """Public module names of an installed subpackage, listed from its folder (not via the CLI)."""
    import importlib

    folder = pathlib.Path(importlib.import_module(package).__file__).parent
    return {p.stem for p in folder.glob("*.py") if not p.stem.startswith("_")}


VALID = {
    "check": _module_names("robustgames.proofs_checks"),
    "reproduce": set(regret.STUDY_NAMES) | {"chute", "drigm", "rqe", "deep"},
    "bench": _module_names("robustgames.benchmarks"),
}


def _error(argv, capsys) -> str:
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and captured.out == ""
    lines = [line for line in captured.err.splitlines() if "error:" in line]
    assert len(lines) == 1, captured.err
    return lines[0]


@pytest.mark.parametrize("command", ["check", "reproduce", "bench"])
def test_unknown_only_exits_2_and_lists_the_names(command, capsys, tmp_path):
    extra = ["--out", str(tmp_path)] if command == "reproduce" else []
    line = _error([command, "--only", "nosuch_xyz", *extra], capsys)
    assert "argument --only" in line and "nosuch_xyz" in line
    listed = set(line.split("choose from:")[1].replace(",", " ").split())
    assert listed == VALID[command]
    # one good and one bad name is still an error (every NAME must match something)
    good = sorted(VALID[command])[0]
    assert "nosuch_xyz" in _error([command, "--only", good, "--only", "nosuch_xyz", *extra], capsys)


@pytest.mark.parametrize("command", ["check", "reproduce", "bench"])
def test_help_lists_the_valid_names(command, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main([command, "--help"])
    assert info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # undo argparse's line wrapping
    for name in VALID[command]:
        assert name in text, name


@pytest.mark.parametrize("value", ["0", "-3", "two", "1.5"])
def test_bad_jobs(value, capsys, tmp_path):
    line = _error(["reproduce", "--jobs", value, "--out", str(tmp_path)], capsys)
    assert "argument --jobs" in line and value in line


def test_negative_seed(capsys, tmp_path):
    assert "argument --seed" in _error(["reproduce", "--seed", "-1", "--out", str(tmp_path)], capsys)


def test_unwritable_out(tmp_path, capsys):
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    for out in (a_file, a_file / "results"):  # an existing file; a folder under a file
        line = _error(["reproduce", "--out", str(out), "--profile", "smoke"], capsys)
        assert "argument --out" in line and str(out) in line
    assert a_file.read_text() == "x"


@pytest.mark.parametrize("command", ["check", "bench"])
def test_unwritable_json(command, tmp_path, capsys):
    line = _error([command, "--json", str(tmp_path / "missing" / "x.json")], capsys)
    assert "argument --json" in line and "does not exist" in line
    assert "argument --json" in _error([command, "--json", str(tmp_path)], capsys)  # a folder


def test_full_conflicts_with_profile(capsys, tmp_path):
    assert "--full" in _error(["reproduce", "--full", "--profile", "smoke", "--out", str(tmp_path)], capsys)


def test_mains_called_directly_return_2_with_the_names(tmp_path, capsys):
    from robustgames.benchmarks._runner import main as bench_main
    from robustgames.experiments._reproduce import main as reproduce_main

    assert reproduce_main(out=tmp_path, only=["nosuch_xyz"], profile="smoke") == 2
    err = capsys.readouterr().err
    assert all(name in err for name in VALID["reproduce"])
    assert not (tmp_path / "data").exists()
    assert bench_main(only=["nosuch_xyz"]) == 2
    out = capsys.readouterr().out
    assert all(name in out for name in VALID["bench"])
