"""The sweep runner: seeds, atomic resumable store, serial == processes == Dask."""

import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import robustgames
from robustgames.runner import Cell, CellFailure, ResultStore, cell_key, make_cells, run_cells
from robustgames.runner._toy import toy_cell


def _arrays(store, study):
    return {r["key"]: r["arrays"]["draws"] for r in store.records(study)}


# -- seeds ------------------------------------------------------------------------------
def test_cell_seed_is_the_spawned_child_whatever_n_seeds():
    children = np.random.SeedSequence(7).spawn(5)
    for i, child in enumerate(children):
        mine = Cell("s", {}, i, root_seed=7).seed_sequence()
        assert mine.entropy == child.entropy and mine.spawn_key == child.spawn_key
        np.testing.assert_array_equal(mine.generate_state(4), child.generate_state(4))
    # more seeds later does not change the earlier ones
    assert Cell("s", {}, 2, 7).seed_sequence().spawn_key == np.random.SeedSequence(7).spawn(50)[2].spawn_key


def test_cell_key_is_stable_and_order_free():
    a = Cell("s", {"x": 1, "y": [1, 2]}, 0)
    b = Cell("s", {"y": (1, 2), "x": np.int64(1)}, 0)
    assert a.key == b.key == cell_key("s", {"x": 1, "y": [1, 2]}, 0, 0)
    assert a.key != Cell("s", {"x": 1, "y": [1, 2]}, 1).key
    assert a.key != Cell("s", {"x": 1, "y": [1, 2]}, 0, root_seed=1).key
    assert a.key != Cell("t", {"x": 1, "y": [1, 2]}, 0).key
    # pinned: the hash must not change between versions, or stores could not resume
    assert Cell("s", {"x": 1}, 0).key == cell_key("s", {"x": 1}, 0, 0)
    assert len(a.key) == 20


def test_cell_validation_names_the_argument():
    with pytest.raises(ValueError, match="study"):
        Cell("a/b", {}, 0)
    with pytest.raises(ValueError, match="seed_index"):
        Cell("s", {}, -1)
    with pytest.raises(TypeError, match="config"):
        Cell("s", [1], 0)
    with pytest.raises(TypeError, match="JSON"):
        Cell("s", {"f": object()}, 0)
    with pytest.raises(ValueError, match="n_seeds"):
        make_cells("s", [{}], 0)


# -- store ------------------------------------------------------------------------------
def test_record_holds_config_seed_version_and_round_trips(tmp_path):
    store = ResultStore(tmp_path)
    cells = make_cells("toy", [{"n": 4}], n_seeds=2, root_seed=3)
    run_cells(toy_cell, cells, store, jobs=1, progress=False)
    rec = store.get(cells[1])
    assert rec["config"] == {"n": 4} and rec["study"] == "toy"
    assert rec["version"] == robustgames.__version__
    assert rec["seed"] == {"root_seed": 3, "seed_index": 1, "entropy": 3, "spawn_key": [1]}
    assert rec["started"] <= rec["finished"] and rec["elapsed_s"] >= 0
    expected = np.random.default_rng(np.random.SeedSequence(3).spawn(2)[1]).standard_normal(4)
    np.testing.assert_array_equal(rec["arrays"]["draws"], expected)  # bit-identical
    assert rec["values"]["total"] == float(expected.sum())
    np.testing.assert_array_equal(rec["arrays"]["with_nan"], [1.0, np.nan, np.inf])
    assert rec["values"]["nan_value"] == "nan"
    # the file on disk is standard JSON (no NaN literals)
    text = store.path(cells[1]).read_text()
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))


def test_store_ignores_and_cleans_partial_writes(tmp_path):
    store = ResultStore(tmp_path)
    cell = Cell("toy", {"n": 2}, 0)
    (tmp_path / "toy").mkdir()
    partial = tmp_path / "toy" / f".{cell.key}.abc.tmp"
    partial.write_text('{"study": "toy", "arr')  # a write killed half way
    assert not store.has(cell) and list(store.records("toy")) == []
    run_cells(toy_cell, [cell], store, jobs=1, progress=False)
    assert store.has(cell) and not partial.exists()


def test_put_is_atomic_replace(tmp_path, monkeypatch):
    store = ResultStore(tmp_path)
    cell = Cell("toy", {"n": 2}, 0)
    store.put(cell, {"v": 1})
    # a failure during the write leaves the old record intact and no temp file
    import robustgames.runner._store as st

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(st.os, "replace", boom)
    with pytest.raises(OSError):
        store.put(cell, {"v": 2})
    monkeypatch.undo()
    assert json.loads(store.path(cell).read_text()) == {"v": 1}
    assert list((tmp_path / "toy").glob("*.tmp")) == []


# -- resume -----------------------------------------------------------------------------
def test_resume_skips_finished_cells(tmp_path):
    calls = tmp_path / "calls"
    calls.mkdir()
    store = ResultStore(tmp_path / "data")
    cells = make_cells("toy", [{"n": 3, "calls_dir": str(calls)}], n_seeds=6)
    first = run_cells(toy_cell, cells[:4], store, jobs=1, progress=False)
    assert first.computed == 4 and first.skipped == 0 and len(os.listdir(calls)) == 4
    again = run_cells(toy_cell, cells, store, jobs=1, progress=False)
    assert again.computed == 2 and again.skipped == 4 and len(os.listdir(calls)) == 6
    third = run_cells(toy_cell, cells, store, jobs=1, progress=False)
    assert third.computed == 0 and third.skipped == 6 and len(os.listdir(calls)) == 6


def test_failing_cells_do_not_lose_the_others(tmp_path):
    store = ResultStore(tmp_path)
    cells = make_cells("toy", [{"n": 2}, {"n": 2, "fail": True}, {"n": 3}], n_seeds=2)
    with pytest.raises(CellFailure, match="2 of 6 cells failed"):
        run_cells(toy_cell, cells, store, jobs=1, progress=False)
    assert sum(store.has(c) for c in cells) == 4


_KILLED_SWEEP = textwrap.dedent(
    """
    import os, signal, sys
    from robustgames.runner import ResultStore, make_cells, run_cells
    from robustgames.runner._toy import toy_cell

    calls, data, kill_after = sys.argv[1], sys.argv[2], int(sys.argv[3])

    def dying_cell(config, seed):
        out = toy_cell(config, seed)
        if kill_after and len(os.listdir(calls)) > kill_after:
            os.kill(os.getpid(), signal.SIGKILL)  # the sweep is killed mid-run
        return out

    cells = make_cells("toy", [{"n": 3, "calls_dir": calls}], n_seeds=8)
    r = run_cells(dying_cell, cells, ResultStore(data), jobs=1, progress=False)
    print(r.computed, r.skipped)
    """
)


def test_a_killed_sweep_resumes_without_redoing_finished_cells(tmp_path):
    script = tmp_path / "sweep.py"
    script.write_text(_KILLED_SWEEP)
    calls, data = tmp_path / "calls", tmp_path / "data"
    calls.mkdir()
    killed = subprocess.run([sys.executable, str(script), str(calls), str(data), "3"],
                            capture_output=True, text=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    store = ResultStore(data)
    finished = {r["seed"]["seed_index"] for r in store.records("toy")}
    assert finished == {0, 1, 2}  # the 4th cell ran but was killed before being stored
    assert len(os.listdir(calls)) == 4
    resumed = subprocess.run([sys.executable, str(script), str(calls), str(data), "0"],
                             capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.split() == ["5", "3"]  # 5 computed, 3 skipped
    # each cell of seeds 0-2 was called once, seed 3 twice (killed once), 4-7 once
    per_seed = sorted(int(name.split("-")[0]) for name in os.listdir(calls))
    assert per_seed == [0, 1, 2, 3, 3, 4, 5, 6, 7]
    assert {r["seed"]["seed_index"] for r in store.records("toy")} == set(range(8))


# -- executors agree --------------------------------------------------------------------
def test_process_pool_equals_serial(tmp_path):
    cells = make_cells("toy", [{"n": 5}, {"n": 7}], n_seeds=3, root_seed=11)
    serial, pool = ResultStore(tmp_path / "serial"), ResultStore(tmp_path / "pool")
    run_cells(toy_cell, cells, serial, jobs=1, progress=False)
    r = run_cells(toy_cell, cells, pool, jobs=2, progress=False)
    assert r.computed == 6
    a, b = _arrays(serial, "toy"), _arrays(pool, "toy")
    assert a.keys() == b.keys() and len(a) == 6
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_warm_up_cells_run_first_in_this_process(tmp_path):
    calls = tmp_path / "calls"
    calls.mkdir()
    store = ResultStore(tmp_path / "data")
    cells = make_cells("toy", [{"n": 3, "calls_dir": str(calls)}, {"n": 4, "calls_dir": str(calls), "tag": "warm"}],
                       n_seeds=2)
    warm = [c for c in cells if c.config.get("tag") == "warm"]
    r = run_cells(toy_cell, cells, store, jobs=2, progress=False, warm_up=warm)
    assert r.computed == 4 and r.skipped == 0
    pids = {name: (calls / name).read_text() for name in os.listdir(calls)}
    assert len(pids) == 4
    for name, pid in pids.items():
        assert (pid == str(os.getpid())) == ("-warm-" in name), name  # warm-up here, the rest in workers
    records = [store.get(c) for c in cells]
    last_warm = max(r["finished"] for r in records if r["config"].get("tag") == "warm")
    assert all(r["started"] >= last_warm for r in records if r["config"].get("tag") != "warm")
    # stored warm-up cells are not run again
    assert run_cells(toy_cell, cells, store, jobs=2, progress=False, warm_up=warm).computed == 0
    assert len(os.listdir(calls)) == 4
    with pytest.raises(ValueError, match="warm_up"):
        run_cells(toy_cell, cells[:1], store, jobs=1, progress=False, warm_up=warm)


def test_nested_non_finite_values_are_stored_as_strict_json(tmp_path):
    store = ResultStore(tmp_path)
    cell = Cell("nested", {}, 0)
    run_cells(_nested_cell, [cell], store, jobs=1, progress=False)
    text = store.path(cell).read_text()
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))
    assert store.get(cell)["values"]["stats"] == {"mean": 1.5, "fits": [0.5, "nan", "-inf"]}


def _nested_cell(config, seed):
    return {"stats": {"mean": 1.5, "fits": [0.5, float("nan"), -np.inf]}}


def test_dask_local_cluster_equals_serial(tmp_path):
    distributed = pytest.importorskip("distributed")
    cells = make_cells("toy", [{"n": 5}, {"n": 6}], n_seeds=3, root_seed=5)
    serial, dask = ResultStore(tmp_path / "serial"), ResultStore(tmp_path / "dask")
    run_cells(toy_cell, cells, serial, jobs=1, progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        r = run_cells(toy_cell, cells, dask, scheduler=cluster.scheduler_address, progress=False)
    assert r.computed == 6
    a, b = _arrays(serial, "toy"), _arrays(dask, "toy")
    assert a.keys() == b.keys() and len(a) == 6
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    rec = next(dask.records("toy"))
    assert rec["version"] == robustgames.__version__


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="jobs"):
        run_cells(toy_cell, [], tmp_path, jobs=0)
    with pytest.raises(TypeError, match="cells\\[0\\]"):
        run_cells(toy_cell, [{"n": 1}], tmp_path)
    with pytest.raises(CellFailure, match="must return a dict"):
        run_cells(lambda c, s: 3, [Cell("x", {}, 0)], tmp_path, jobs=1, progress=False)
