"""The installed layout: every subpackage is listed in pyproject.toml, the public API exists."""

import pathlib
import re

import robustgames as rg

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _listed_packages():
    text = (ROOT / "pyproject.toml").read_text()
    block = re.search(r"packages = \[(.*?)\]", text, re.S).group(1)
    return set(re.findall(r'"([\w.]+)"', block))


def test_every_subpackage_is_listed_in_pyproject():
    listed = _listed_packages()
    found = {"robustgames"}
    for init in (ROOT / "robustgames").rglob("__init__.py"):
        rel = init.parent.relative_to(ROOT)
        found.add(".".join(rel.parts))
    for top in ("experiments", "proofs_checks", "paper_figures", "benchmarks"):
        assert (ROOT / top / "__init__.py").exists()
        found.add(f"robustgames.{top}")
    assert found <= listed, f"add to pyproject.toml [tool.setuptools] packages: {sorted(found - listed)}"


def test_public_api_contract_names():
    for name in ["MarkovGame", "TV", "KL", "ChiSquare", "Contamination", "Group", "solve", "evaluate",
                 "gap", "MORNAVI", "learn", "Result"]:
        assert hasattr(rg, name), name
        assert name in rg.__all__, name


def test_numba_cache_directory_follows_the_sources(tmp_path, monkeypatch):
    """Editing any source file must start a fresh numba cache (numba itself only tracks
    the file defining a kernel, not the kernels it inlines from other modules)."""
    from robustgames import _jit

    src = tmp_path / "mod.py"
    src.write_text("x = 1\n")
    monkeypatch.setattr(_jit, "_source_files", lambda: [src])
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "cache"))
    first = _jit._cache_dir()
    assert first == _jit._cache_dir()
    assert first.startswith(str(tmp_path / "cache"))
    src.write_text("x = 2\n")
    assert _jit._cache_dir() != first
