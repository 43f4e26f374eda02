"""``robustgames reproduce``: run every experiment through the runner, then draw figures.

Layout of ``out`` (default ``results/``)::

    out/data/<study>/<key>.json      one record per (config, seed) cell (robustgames.runner)
    out/data/chute_<profile>_seed<seed>.json   the chute experiment's own JSON (exported)
    out/figures/*.png, *.pdf         the paper figures
    out/figures/summary.json         fitted slopes and the checks (gaps >= 0, bound holds)

Every experiment is a list of cells run by :func:`robustgames.runner.run_cells`: the regret
studies of :mod:`robustgames.experiments.regret` (one cell per configuration and seed) and
the chute-mapping experiment of :mod:`robustgames.experiments.chute` (one cell). Cells
are stored atomically as they finish, so rerunning the command after a kill, a crash or
an added seed only runs the missing cells. Figures are drawn from the stored data only.
"""

from __future__ import annotations

import importlib
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from robustgames.runner import Cell, CellFailure, ResultStore, run_cells


def _has_module(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError as exc:
        if exc.name and name.endswith(exc.name.rsplit(".", 1)[-1]):
            return False
        raise
    return True


def chute_cell(config: dict, seed: np.random.SeedSequence) -> dict:
    """Run the chute experiment (in a scratch folder of the worker) and return its JSON."""
    from robustgames.experiments import chute

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(chute.run(config["profile"], tmp, seed=int(seed.entropy)))
        text = path.read_text()  # stored verbatim (it may hold NaN, which strict JSON cannot)
    return {"chute_json": text, "file_name": path.name}


def cell_function(config: dict, seed: np.random.SeedSequence) -> dict:
    """The one cell function of ``reproduce``: dispatch on the config's experiment."""
    if config.get("experiment") == "chute":
        return chute_cell(config, seed)
    from robustgames.experiments.regret import regret_cell

    return regret_cell(config, seed)


def _cost(cell: Cell) -> float:
    """Rough relative run time, to start the long cells first (better load balance)."""
    c = cell.config
    if c.get("experiment") == "chute":
        return float("inf")
    g = c["game"]
    size = g.get("n_states", 20) * float(np.prod(g.get("n_actions", [3, 3]))) * g.get("horizon", 8)
    return c["episodes"] * size * (3.0 if c["set"]["kind"] == "KL" else 1.0)


def _wanted(name: str, only) -> bool:
    return not only or any(o in name for o in only)


def main(full: bool = False, out="results", jobs=None, scheduler=None, only=None, seed: int = 0,
         progress: bool = True, *, profile: str | None = None) -> int:
    """Run the experiments (quick profile unless ``full``) into ``out/data`` and draw ``out/figures``.

    ``profile`` overrides ``full`` (``"smoke"``: the tests' miniature). Returns 0 on
    success, 1 if a cell failed (the others are stored; rerun to retry), 2 if nothing
    matched ``only``.
    """
    t0 = time.perf_counter()
    profile = profile or ("full" if full else "quick")
    out = Path(out)
    data, figures = out / "data", out / "figures"
    store = ResultStore(data)
    print(f"robustgames reproduce: profile {profile!r}, root seed {seed}, results in {data}", flush=True)

    cells: list[Cell] = []
    regret_studies: list[str] = []
    from robustgames.experiments import regret

    if any(_wanted(n, only) for n in regret.STUDY_NAMES):
        by_study = regret.studies(profile, seed, only)
        regret_studies = list(by_study)
        for name, cs in by_study.items():
            print(f"  {name}: {len(cs) // regret.n_seeds(profile)} configurations x "
                  f"{regret.n_seeds(profile)} seeds", flush=True)
            cells.extend(cs)
    run_chute = _wanted("chute", only) and profile in ("quick", "full")
    if run_chute:
        if _has_module("robustgames.experiments.chute"):
            cells.append(Cell("chute", {"experiment": "chute", "profile": profile}, 0, seed))
            print("  chute: 1 cell (DRMARL chute mapping)", flush=True)
        else:
            run_chute = False
            print("  chute skipped: robustgames.experiments.chute is not installed", flush=True)
    if not cells:
        print(f"nothing to run: no experiment matches --only {only}", flush=True)
        return 2

    cells.sort(key=_cost, reverse=True)
    status = 0
    try:
        r = run_cells(cell_function, cells, store, jobs=jobs, scheduler=scheduler, progress=progress,
                      desc="reproduce")
        print(f"cells: {r.computed} computed, {r.skipped} already stored ({r.elapsed:.1f} s)", flush=True)
    except CellFailure as exc:
        print(f"ERROR: {exc}", file=sys.stderr, flush=True)
        status = 1

    drawn: list[Path] = []
    if regret_studies:
        from robustgames.paper_figures import regret as regret_figures

        paths, summary = regret_figures.draw(data, figures, studies=regret_studies)
        drawn += paths
        print(regret_figures.report(summary), flush=True)
    if run_chute:
        chute_json = _export_chute(store, data, profile, seed)
        if chute_json is not None:
            print(f"chute results: {chute_json}", flush=True)
            if _has_module("robustgames.paper_figures.chute"):
                from robustgames.paper_figures import chute as chute_figures

                drawn += list(chute_figures.draw(chute_json, figures))
                print(chute_figures.table(chute_json), flush=True)
            else:
                print("chute figures skipped: robustgames.paper_figures.chute is not installed", flush=True)
    print(f"figures ({len(drawn)} files) in {figures}", flush=True)
    for p in drawn:
        print(f"  {p}")
    print(f"total {time.perf_counter() - t0:.1f} s", flush=True)
    return status


def _export_chute(store: ResultStore, data: Path, profile: str, seed: int):
    """Write the stored chute payload as the chute experiment's own JSON file."""
    cell = Cell("chute", {"experiment": "chute", "profile": profile}, 0, seed)
    if not store.has(cell):
        return None
    record = store.get(cell)
    path = data / record["values"]["file_name"]
    path.write_text(record["values"]["chute_json"])
    return path
