"""``robustgames check``: run every claim module, print the claims table, exit non-zero on
any failure.

A claim module is any module of this package whose name does not start with an underscore
(the ``drmarl_*`` chute-game claims included). Each defines ``CLAIM``, ``SOURCE``, ``METHOD``,
``check(quick=True, **overrides)`` returning a result with ``passed``, ``evidence`` and
``numbers``, and ``self_test()`` (True iff a planted bug makes ``check`` fail). A module that
does not import, breaks the contract or raises is reported as an ERROR row; the table is
always printed. ``--self-test`` additionally runs every ``self_test()``: a self-test that
does not detect its planted bug also makes the exit code non-zero.

Statuses: PASS, FAIL, ERROR, and DIFFERS. A check built with
``_claim.result(..., empirical=True)`` compares its measured number with a paper's
*empirical* figure (a number the paper measured on its own simulator, not a theorem):
when its theorem criteria hold (``passed``) but the paper's figure is not reproduced
(``reproduced`` is False) its status is DIFFERS. DIFFERS rows are listed by name in the
summary line and do NOT make the exit code non-zero; a failed theorem criterion is a
FAIL as usual.
"""

from __future__ import annotations

import importlib
import json
import math
import pkgutil
import sys
import textwrap
import time
import traceback

import numpy as np

PACKAGE = "robustgames.proofs_checks"

PASS, FAIL, ERROR, DIFFERS = "PASS", "FAIL", "ERROR", "DIFFERS"
SELF_OK = "self-test: detects planted bug"
SELF_BAD = "SELF-TEST FAILED"
SELF_ERR = "SELF-TEST ERROR"


def claim_names() -> list[str]:
    """Names of the claim modules (sorted; underscore modules are helpers)."""
    pkg = importlib.import_module(PACKAGE)
    return sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_"))


def discover(only=None) -> list[tuple[str, object]]:
    """``(name, module)`` pairs of the claim modules, filtered by ``only`` (substrings of the
    module name). A module that fails to import is returned as its exception text."""
    if isinstance(only, str):
        only = [only]
    out = []
    for name in claim_names():
        if only and not any(o in name for o in only):
            continue
        try:
            mod = importlib.import_module(f"{PACKAGE}.{name}")
        except Exception as exc:  # noqa: BLE001 - reported as an ERROR row
            mod = f"import failed: {type(exc).__name__}: {exc}"
        out.append((name, mod))
    return out


def _first_line(text: str) -> str:
    return " ".join(str(text).split())


def run_one(name: str, mod, quick: bool, self_test: bool = False) -> dict:
    """Run one claim module; never raises. Returns a row of the claims table."""
    row = {"name": name, "claim": "", "source": "", "method": "", "status": ERROR,
           "passed": False, "evidence": "", "numbers": {}, "verdict": "", "seconds": 0.0, "self_test": None,
           "self_test_seconds": None}
    if isinstance(mod, str):
        row["evidence"] = mod
        return row
    missing = [a for a in ("CLAIM", "SOURCE", "METHOD", "check") if not hasattr(mod, a)]
    row["claim"] = _first_line(getattr(mod, "CLAIM", ""))
    row["source"] = _first_line(getattr(mod, "SOURCE", ""))
    row["method"] = _first_line(getattr(mod, "METHOD", ""))
    if missing:
        row["evidence"] = f"module breaks the claim contract: missing {', '.join(missing)}"
        return row
    t0 = time.perf_counter()
    try:
        res = mod.check(quick=quick)
        passed = res.passed
        evidence = res.evidence
        numbers = res.numbers if "numbers" in res else {}
        if not isinstance(passed, (bool, np.bool_)) or not isinstance(evidence, str):
            raise TypeError("check() must return a result with passed: bool and evidence: str")
        row["passed"] = bool(passed)
        row["status"] = PASS if passed else FAIL
        if passed and "empirical" in res and res.empirical and not res.reproduced:
            row["status"] = DIFFERS  # theorem criteria hold; the paper's empirical figure is not reproduced
        row["evidence"] = _first_line(evidence)
        row["numbers"] = dict(numbers)
        row["verdict"] = res.verdict if "verdict" in res else "(no measured number reported)"
    except Exception as exc:  # noqa: BLE001 - reported, never crashes the table
        tb = traceback.extract_tb(exc.__traceback__)
        where = f" at {tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno}" if tb else ""
        row["evidence"] = _first_line(f"{type(exc).__name__}: {exc}{where}")
    row["seconds"] = time.perf_counter() - t0
    if self_test:
        t1 = time.perf_counter()
        if not hasattr(mod, "self_test"):
            row["self_test"] = SELF_ERR + ": module has no self_test()"
        else:
            try:
                row["self_test"] = SELF_OK if mod.self_test() is True else SELF_BAD
            except Exception as exc:  # noqa: BLE001
                row["self_test"] = _first_line(f"{SELF_ERR}: {type(exc).__name__}: {exc}")
        row["self_test_seconds"] = time.perf_counter() - t1
    return row


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width) or [""]


def format_table(rows: list[dict], width: int = 160) -> str:
    """The claims table: claim, source, status, evidence (cells wrapped)."""
    cols = [("claim", 44), ("source", 26), ("status", 7), ("evidence", max(30, width - 44 - 26 - 7 - 6))]
    sep = "  "
    lines = [sep.join(title.ljust(w) for title, w in cols).rstrip(),
             sep.join("-" * w for _, w in cols)]
    for r in rows:
        claim = f"[{r['name']}] {r['claim']}"
        status = r["status"]
        evidence = r["evidence"]
        if r.get("verdict"):
            evidence = f"{r['verdict']}: {evidence}"
        if r.get("self_test"):
            evidence = f"{evidence} | {r['self_test']}"
        cells = [_wrap(claim, cols[0][1]), _wrap(r["source"], cols[1][1]), [status],
                 _wrap(evidence, cols[3][1])]
        height = max(len(c) for c in cells)
        for k in range(height):
            lines.append(sep.join((c[k] if k < len(c) else "").ljust(w)
                                  for c, (_, w) in zip(cells, cols)).rstrip())
        lines.append("")
    return "\n".join(lines)


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    if isinstance(x, (np.bool_, bool)):
        return bool(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating, float)):
        x = float(x)
        return x if math.isfinite(x) else None  # strict JSON: null for a missing number
    if x is None or isinstance(x, (int, str)):
        return x
    return repr(x)


def main(quick: bool = False, json_path=None, only=None, self_test: bool = False, *,
         stream=None) -> int:
    """Run the claims, print progress and the table, optionally write JSON.

    Returns 0 if every claim passes or DIFFERS (and, with ``self_test``, every planted bug is
    detected), 1 otherwise, 2 if no claim module matches ``only``.
    """
    out = sys.stdout if stream is None else stream
    mods = discover(only)
    if not mods:
        print(f"no claim module matches {only!r}; available: {', '.join(claim_names())}", file=out)
        return 2
    profile = "quick" if quick else "full"
    print(f"robustgames check ({profile}{', with self-tests' if self_test else ''}): "
          f"{len(mods)} claim(s)", file=out)
    rows = []
    t_all = time.perf_counter()
    for k, (name, mod) in enumerate(mods, 1):
        print(f"[{k}/{len(mods)}] {name} ...", end="", file=out, flush=True)
        row = run_one(name, mod, quick, self_test)
        msg = f" {row['status']} ({row['seconds']:.1f} s)"
        if row.get("verdict"):
            msg += f" [{row['verdict']}]"
        if row["self_test"] is not None:
            msg += f"; {row['self_test']} ({row['self_test_seconds']:.1f} s)"
        print(msg, file=out, flush=True)
        rows.append(row)
    total = time.perf_counter() - t_all
    print("", file=out)
    print(format_table(rows), file=out)
    n_pass = sum(r["status"] == PASS for r in rows)
    n_fail = sum(r["status"] == FAIL for r in rows)
    n_err = sum(r["status"] == ERROR for r in rows)
    differs = [r["name"] for r in rows if r["status"] == DIFFERS]
    bad_self = [r["name"] for r in rows if r["self_test"] is not None and r["self_test"] != SELF_OK]
    summary = f"{n_pass} passed, {n_fail} failed, {n_err} errors in {total:.1f} s"
    if differs:
        summary += (f"; {len(differs)} differ from a paper's empirical figure (not a failure): "
                    f"{', '.join(differs)}")
    if self_test:
        summary += f"; self-tests: {len(rows) - len(bad_self)} detect their planted bug"
        if bad_self:
            summary += f", {len(bad_self)} do not ({', '.join(bad_self)})"
    print(summary, file=out)
    if json_path:
        with open(json_path, "w", encoding="utf-8") as fh:
            json.dump(_jsonable(rows), fh, indent=2, allow_nan=False)
            fh.write("\n")
        print(f"wrote {json_path}", file=out)
    ok = n_fail == 0 and n_err == 0 and not bad_self
    return 0 if ok else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(quick="--quick" in sys.argv, self_test="--self-test" in sys.argv))
