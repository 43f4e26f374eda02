"""``robustgames reproduce``: run every experiment through the runner, then draw figures.

Layout of ``out`` (default ``results/``)::

    out/data/<study>/<key>.json      one record per (config, seed) cell (robustgames.runner)
    out/data/chute_<profile>_seed<seed>.json   the chute experiment's own JSON (exported)
    out/data/drigm_<profile>_seed<seed>.json   the DrIGM study's merged cells (exported);
                                     figures/drigm_table.md its value / optimum table
    out/figures/*.png, *.pdf         the paper figures
    out/data/deep_full.json          the deep study (full profile only, needs torch: the
                                     [deep] extra); figures/deep_*.md its tables
    out/figures/summary.json         fitted slopes and the checks (gaps >= 0, bound holds),
                                     and the chute study's Table 1 with its CIs

Every experiment is a list of cells run by :func:`robustgames.runner.run_cells`: the regret
studies of :mod:`robustgames.experiments.regret` (one cell per configuration and seed) and
the chute-mapping experiment of :mod:`robustgames.experiments.chute` (one cell per seed,
aggregated into Table 1 on export). Cells
are stored atomically as they finish, so rerunning the command after a kill, a crash or
an added seed only runs the missing cells. Figures are drawn from the stored data only.

Compilation: the cheapest cell of each kind of configuration (same structure, numbers
aside: numba compiles per argument type, not per value) runs first in this process,
before the progress bar starts; the workers then load the compiled kernels from numba's
on-disk cache, and the bar's time estimate is not inflated by compilation.

Stopping: ``SIGINT`` (Ctrl-C) and ``SIGTERM`` stop the workers (no process is left
behind), keep every stored cell, print how many cells are stored and the command that
resumes, and return 130 / 143 (128 + the signal number, as a shell reports it).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import shlex
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from robustgames.runner import Cell, CellFailure, ResultStore, run_cells, strict_json

#: profiles of ``reproduce`` (``"smoke"``: the tests' miniature, hidden from ``--help``)
PROFILE_NAMES = ("quick", "full", "smoke")


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

    if config.get("part") == "seed":  # one seed of the study (aggregated by _export_chute)
        return {"seed_json": strict_json(chute.run_seed(config["profile"], seed))}
    with tempfile.TemporaryDirectory() as tmp:  # a legacy single-cell record
        path = Path(chute.run(config["profile"], tmp, seed=int(seed.entropy)))
        text = path.read_text()  # strict JSON (experiments/chute.py writes non-finite numbers as null)
    return {"chute_json": text, "file_name": path.name}


def cell_function(config: dict, seed: np.random.SeedSequence) -> dict:
    """The one cell function of ``reproduce``: dispatch on the config's experiment."""
    if config.get("experiment") == "chute":
        return chute_cell(config, seed)
    if config.get("experiment") == "drigm":
        from robustgames.experiments.drigm import drigm_cell

        return drigm_cell(config, seed)
    if config.get("experiment") == "rqe":
        from robustgames.experiments.rqe import cell as rqe_cell

        return rqe_cell(config, seed)
    if config.get("experiment") == "deep":
        from robustgames.experiments.deep import cell as deep_cell

        return deep_cell(config, seed)
    from robustgames.experiments.regret import regret_cell

    return regret_cell(config, seed)


def _cost(cell: Cell) -> float:
    """Rough relative run time, to start the long cells first (better load balance)."""
    c = cell.config
    if c.get("experiment") == "chute":
        return float("inf")
    if c.get("experiment") == "drigm":
        from robustgames.experiments.drigm import cost

        return 1e3 * cost(c)  # exact fixed points: seconds, between the short and the long regret cells
    if c.get("experiment") == "rqe":
        from robustgames.experiments.rqe import cost as rqe_cost

        return 1e3 * rqe_cost(c)
    if c.get("experiment") == "deep":
        from robustgames.experiments.deep import cost as deep_cost

        return 1e3 * deep_cost(c)
    g = c["game"]
    size = g.get("n_states", 20) * float(np.prod(g.get("n_actions", [3, 3]))) * g.get("horizon", 8)
    return c["episodes"] * size * (3.0 if c["set"]["kind"] == "KL" else 1.0)


def _wanted(name: str, only) -> bool:
    return not only or any(o in name for o in only)


def experiment_names() -> tuple[str, ...]:
    """Names ``--only`` selects from: the regret studies, then ``"chute"``.

    They name the folders of ``out/data``, not the figure files (one study may draw
    several figures).
    """
    from robustgames.experiments import regret

    return (*regret.STUDY_NAMES, "chute", "drigm", "rqe", "deep")


def _kind(value):
    """The structure of a config with every number replaced by its type name: numba
    compiles one specialisation per argument type, so configs of one kind share kernels."""
    if isinstance(value, dict):
        return tuple(sorted((k, _kind(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_kind(v) for v in value)
    if value is None or isinstance(value, (bool, str)):
        return value
    return type(value).__name__


def warm_up_cells(cells: list[Cell]) -> list[Cell]:
    """The cheapest cell of each kind (see :func:`_kind`); the chute cell is left out (it is
    one cell, and compiling inside it delays no other cell's estimate)."""
    cheapest: dict = {}
    for cell in cells:
        if cell.config.get("experiment") == "chute":
            continue
        # the DrIGM cells share their kernels (one warm-up cell for the whole study); the deep
        # cells one per part (their configs differ in strings only: game, target, mixer)
        exp = cell.config.get("experiment")
        k = "drigm" if exp == "drigm" else ("deep", cell.config["part"]) if exp == "deep" else _kind(cell.config)
        if k not in cheapest or _cost(cell) < _cost(cheapest[k]):
            cheapest[k] = cell
    return list(cheapest.values())


def resume_command(profile: str, out, jobs=None, scheduler=None, only=None, seed: int = 0,
                   progress: bool = True) -> str:
    """The ``robustgames reproduce`` command line that runs the same cells into ``out``."""
    args = ["robustgames", "reproduce"]
    if profile == "full":
        args.append("--full")
    elif profile != "quick":
        args += ["--profile", profile]
    args += ["--out", str(Path(out).resolve())]
    if jobs is not None:
        args += ["--jobs", str(jobs)]
    if scheduler is not None:
        args += ["--scheduler", str(scheduler)]
    for name in only or ():
        args += ["--only", name]
    if seed:
        args += ["--seed", str(seed)]
    if not progress:
        args.append("--no-progress")
    return shlex.join(args)


class Stopped(BaseException):
    """Raised in the main thread by the ``SIGINT``/``SIGTERM`` handlers of :func:`main`."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = int(signum)


@contextlib.contextmanager
def _stop_on_signals():
    """Turn the first ``SIGINT``/``SIGTERM`` into :class:`Stopped`; ignore later ones (so
    the workers' clean-up and the final message are not cut short). Only in the main
    thread (Python delivers signals there); elsewhere the defaults stay."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    raised = []

    def handler(signum, frame):
        if not raised:
            raised.append(signum)
            raise Stopped(signum)

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def main(full: bool = False, out="results", jobs=None, scheduler=None, only=None, seed: int = 0,
         progress: bool = True, *, profile: str | None = None) -> int:
    """Run the experiments (quick profile unless ``full``) into ``out/data`` and draw ``out/figures``.

    ``profile`` overrides ``full`` (``"smoke"``: the tests' miniature). Returns 0 on
    success, 1 if a cell failed (the others are stored; rerun to retry), 2 if a name of
    ``only`` matches no experiment (see :func:`experiment_names`), 130 / 143 if stopped
    by ``SIGINT`` / ``SIGTERM`` (the finished cells are stored; the message gives the
    command that resumes).
    """
    t0 = time.perf_counter()
    profile = profile or ("full" if full else "quick")
    if profile not in PROFILE_NAMES:
        raise ValueError(f"profile must be one of {', '.join(PROFILE_NAMES)}, got {profile!r}")
    if isinstance(only, str):
        only = [only]
    names = experiment_names()
    unknown = [o for o in only or () if not any(o in n for n in names)]
    if unknown:
        print(f"unknown experiment name(s) {', '.join(map(repr, unknown))} for --only; "
              f"choose from: {', '.join(names)}", file=sys.stderr, flush=True)
        return 2
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
            from robustgames.experiments.chute import PROFILES as CHUTE_PROFILES

            n_chute = CHUTE_PROFILES[profile]["seeds"]
            cells.extend(Cell("chute", {"experiment": "chute", "profile": profile, "part": "seed"}, k, seed)
                         for k in range(n_chute))
            print(f"  chute: {n_chute} cells (DRMARL chute mapping, one per seed)", flush=True)
        else:
            run_chute = False
            print("  chute skipped: robustgames.experiments.chute is not installed", flush=True)
    if _wanted("drigm", only):
        from robustgames.experiments import drigm

        drigm_cells = [Cell("drigm", c, 0, seed) for c in drigm.cell_configs(profile)]
        cells.extend(drigm_cells)
        print(f"  drigm: {len(drigm_cells)} cells (exact robust targets x mixers per game and rho, "
              f"and the dropped-term counterexample search)", flush=True)
    if _wanted("rqe", only):
        from robustgames.experiments import rqe as rqe_study

        rqe_cells = rqe_study.cells(profile, seed)
        cells.extend(rqe_cells)
        print(f"  rqe: {len(rqe_cells)} cells (RQE/Nash/QRE on matrix games, the risk-rationality plane, "
              f"the grid world)", flush=True)
    # the deep agents (PyTorch): full profile only, and only where torch is installed
    if _wanted("deep", only) and profile == "full":
        if _has_module("torch") and _has_module("pettingzoo"):
            from robustgames.experiments import deep as deep_study

            deep_cells = deep_study.cells(profile, seed)
            cells.extend(deep_cells)
            print(f"  deep: {len(deep_cells)} cells (robust VDN/QMIX per game, target and seed; risk-averse "
                  f"MAPPO per game, ablation and seed; RQE actor-critic vs MAPPO per game, learner and seed)", flush=True)
        else:
            print("  deep skipped: PyTorch is not installed (pip install torch==2.13.0 && "
                  "pip install -e \".[deep]\")", flush=True)
    if not cells:
        print(f"nothing to run: no experiment matches --only {only}", flush=True)
        return 2

    cells.sort(key=_cost, reverse=True)
    try:
        with _stop_on_signals():
            status = _run_and_draw(cells, store, data, figures, profile, seed, jobs, scheduler, progress,
                                   regret_studies, run_chute)
    except (Stopped, KeyboardInterrupt) as exc:
        signum = exc.signum if isinstance(exc, Stopped) else int(signal.SIGINT)
        stored = sum(store.has(c) for c in cells)
        command = resume_command(profile, out, jobs, scheduler, only, seed, progress)
        print(f"stopped by {signal.Signals(signum).name}: {stored} of {len(cells)} cells are stored in {data}; "
              f"resume with: {command}", file=sys.stderr, flush=True)
        return 128 + signum
    print(f"total {time.perf_counter() - t0:.1f} s", flush=True)
    return status


def _run_and_draw(cells, store, data, figures, profile, seed, jobs, scheduler, progress,
                  regret_studies, run_chute) -> int:
    status = 0
    warm = [] if scheduler is not None else warm_up_cells(cells)
    n_warm = sum(not store.has(c) for c in warm)
    if n_warm:
        print(f"  warm-up: {n_warm} cells (the cheapest of each kind) run in this process first; the "
              f"kernels they compile are cached for the workers", flush=True)
    try:
        r = run_cells(cell_function, cells, store, jobs=jobs, scheduler=scheduler, progress=progress,
                      desc="reproduce", warm_up=warm)
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
            _add_chute_to_summary(chute_json, figures / "summary.json")
    drigm_cells = [c for c in cells if c.config.get("experiment") == "drigm"]
    if drigm_cells and all(store.has(c) for c in drigm_cells):
        from robustgames.paper_figures import drigm as drigm_figures

        drigm_json = _export_drigm(store, drigm_cells, data, profile, seed)
        print(f"drigm results: {drigm_json}", flush=True)
        drawn += list(drigm_figures.draw(drigm_json, figures))
        _add_drigm_to_summary(drigm_json, figures / "summary.json")
    rqe_json = _export_and_draw("rqe", cells, store, data, profile, seed, figures, drawn)
    if rqe_json is not None:
        _add_rqe_to_summary(rqe_json, figures / "summary.json")
    deep_json = _export_and_draw("deep", cells, store, data, profile, seed, figures, drawn)
    if deep_json is not None:
        rec = json.loads(Path(deep_json).read_text())
        figures.mkdir(parents=True, exist_ok=True)
        (figures / "deep_factorised_table.md").write_text(rec["table_factorised_md"])
        (figures / "deep_mappo_table.md").write_text(rec["table_mappo_md"])
        (figures / "deep_rqe_ac_table.md").write_text(rec["table_rqe_ac_md"])
        _put_in_summary(figures / "summary.json", "deep", dict(
            factorised=rec["factorised"], mappo=rec["mappo"], source=str(deep_json)))
    print(f"figures ({len(drawn)} files) in {figures}", flush=True)
    for p in drawn:
        print(f"  {p}")
    return status


def _export_and_draw(name: str, cells, store, data: Path, profile: str, seed: int, figures: Path,
                     drawn: list):
    """Export the study ``name`` (``robustgames.experiments.<name>.export``) if this run has
    cells of it, draw its figures (``robustgames.paper_figures.<name>.draw``) and append
    them to ``drawn``; the exported JSON path, or ``None`` (no cells, or not exported)."""
    if not any(c.config.get("experiment") == name for c in cells):
        return None
    study = importlib.import_module(f"robustgames.experiments.{name}")
    path = study.export(store, data, profile, seed)
    if path is None:
        return None
    print(f"{name} results: {path}", flush=True)
    drawn += list(importlib.import_module(f"robustgames.paper_figures.{name}").draw(path, figures))
    return path


def _put_in_summary(summary: Path, key: str, entry: dict) -> None:
    """Read-modify-write ``summary.json``: set ``key`` to ``entry`` (strict JSON), keeping
    what the other studies put there."""
    record = json.loads(summary.read_text()) if summary.exists() else {}
    record[key] = entry
    summary.parent.mkdir(parents=True, exist_ok=True)
    summary.write_text(strict_json(record, indent=1))


def _add_rqe_to_summary(rqe_json: Path, summary: Path) -> None:
    """Put the rqe study's headline numbers (:func:`robustgames.experiments.rqe.headline`)
    into ``summary.json`` under ``"rqe"`` (read-modify-write)."""
    from robustgames.experiments import rqe as rqe_study

    _put_in_summary(summary, "rqe", dict(rqe_study.headline(json.loads(Path(rqe_json).read_text())),
                                         source=str(rqe_json)))


def _add_chute_to_summary(chute_json: Path, summary: Path) -> None:
    """Put the chute study's Table 1 (text and numbers with their CIs) into ``summary.json``
    next to the regret slopes, so one file holds every headline number."""
    chute = json.loads(Path(chute_json).read_text())
    entry = {k: chute[k] for k in ("table1_text", "table1", "paired", "cb", "n_seeds", "config") if k in chute}
    _put_in_summary(summary, "chute", dict(entry, source=str(chute_json)))


def _export_drigm(store: ResultStore, cells: list[Cell], data: Path, profile: str, seed: int) -> Path:
    """Merge the stored DrIGM cells (:func:`robustgames.experiments.drigm.collect`) into
    ``data/drigm_<profile>_seed<seed>.json``."""
    from robustgames.experiments import drigm

    record = drigm.collect([store.get(c)["values"] for c in cells], profile)
    path = data / f"drigm_{profile}_seed{seed}.json"
    path.write_text(strict_json(record, indent=1))
    return path


def _add_drigm_to_summary(drigm_json: Path, summary: Path) -> None:
    """Put the DrIGM table (value / optimum at the table radius, all exact), the
    dropped-term counterexample and the sample-based learners' final numbers
    (:func:`robustgames.paper_figures.drigm.learner_summary`) into ``summary.json`` under
    ``"drigm"``."""
    from robustgames.paper_figures.drigm import learner_summary

    d = json.loads(Path(drigm_json).read_text())
    keys = ("game", "target", "mixer", "value", "optimum", "ratio", "converged")
    ce = d["counterexample"]
    _put_in_summary(summary, "drigm", {
        "table_rho": d["table_rho"], "table_md": d["table_md"], "exact": True,
        "table": [{k: r[k] for k in keys} for r in d["rows"] if r["rho"] == d["table_rho"]],
        "counterexample": None if ce is None else {"tries": ce["tries"], **ce["at_rho"]},
        "learners": learner_summary(d), "source": str(drigm_json)})


def _export_chute(store: ResultStore, data: Path, profile: str, seed: int):
    """Write the stored chute payload as the chute experiment's own JSON file: the per-seed
    cells aggregated (Table 1 with CIs), or a legacy single-cell record."""
    from robustgames.experiments import chute

    n_chute = chute.PROFILES[profile]["seeds"] if profile in chute.PROFILES else 0
    seeds = [Cell("chute", {"experiment": "chute", "profile": profile, "part": "seed"}, k, seed) for k in range(n_chute)]
    if seeds and all(store.has(c) for c in seeds):
        per_seed = [json.loads(store.get(c)["values"]["seed_json"]) for c in seeds]
        return chute.write(chute.aggregate(profile, per_seed, seed), data)
    cell = Cell("chute", {"experiment": "chute", "profile": profile}, 0, seed)
    if not store.has(cell):
        return None
    record = store.get(cell)
    path = data / record["values"]["file_name"]
    # re-encoded: a record stored by an older version may hold NaN, which strict JSON cannot
    path.write_text(strict_json(json.loads(record["values"]["chute_json"]), indent=1))
    return path
