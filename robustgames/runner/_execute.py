"""Map a cell function over cells: serially, on local processes, or on a Dask cluster.

``run_cells(func, cells, store)`` skips every cell that already has a record in
``store`` (so a killed sweep resumes where it stopped), runs the others and writes each
record atomically *from the calling process* as soon as it arrives (workers need no
shared file system). Executors:

* ``jobs=1``: in this process, in order (debugging, tests);
* default: a :class:`concurrent.futures.ProcessPoolExecutor` with ``jobs`` workers
  (default ``os.cpu_count()``) started with the ``spawn`` method (safe with numba and
  threads on every platform);
* ``scheduler="tcp://host:8786"`` (or a ``distributed.Client``): a Dask distributed
  cluster; needs the optional ``distributed`` extra and ``robustgames`` installed on the
  workers. ``dask``/``distributed`` are imported only then.

Threads: with several worker processes each one runs with ``NUMBA_NUM_THREADS=1`` (and
``OMP/OPENBLAS/MKL_NUM_THREADS=1``) unless the variable is already set in the
environment, so ``jobs`` processes use ``jobs`` cores instead of ``jobs x cores``
threads fighting over them. Numba kernels are compiled with ``cache=True``: the first
worker to need a kernel compiles it and writes the cache, the others load it.

A cell function is a picklable top-level function ``func(config: dict, seed:
SeedSequence) -> dict``; the dict's numpy arrays are stored as arrays, everything else
as JSON values. Because a cell's seed depends only on ``(root_seed, seed_index)`` (see
:mod:`robustgames.runner._cells`), the executor and the order of completion never change
the results.
"""

from __future__ import annotations

import contextlib
import os
import time
import traceback
from datetime import datetime, timezone
from typing import Callable, Sequence

from .._result import Result
from ._cells import Cell
from ._store import ResultStore, encode_payload, environment_record

__all__ = ["run_cells", "execute_cell", "CellFailure"]

_THREAD_VARIABLES = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class CellFailure(RuntimeError):
    """Raised after a sweep in which some cells raised; finished cells are stored."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def execute_cell(func: Callable, cell: Cell) -> dict:
    """Run ``func(cell.config, cell.seed_sequence())`` and build the record to store."""
    started, t0 = _now(), time.perf_counter()
    payload = func(dict(cell.config), cell.seed_sequence())
    elapsed = time.perf_counter() - t0
    values, arrays = encode_payload(payload)
    return {
        "study": cell.study,
        "key": cell.key,
        "config": cell.config,
        "seed": cell.seed_record(),
        **environment_record(),
        "started": started,
        "finished": _now(),
        "elapsed_s": elapsed,
        "values": values,
        "arrays": arrays,
    }


def _single_thread_initializer() -> None:  # runs in each worker process
    for name in _THREAD_VARIABLES:
        os.environ.setdefault(name, "1")


@contextlib.contextmanager
def _single_thread_environment():
    """Set the thread variables (if unset) while worker processes are spawned."""
    added = [name for name in _THREAD_VARIABLES if name not in os.environ]
    for name in added:
        os.environ[name] = "1"
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


def _progress_bar(total, initial, desc, enabled):
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, desc=desc, unit="cell", disable=not enabled,
                dynamic_ncols=True, smoothing=0.05)


def run_cells(
    func: Callable,
    cells: Sequence[Cell],
    store: ResultStore,
    *,
    jobs: int | None = None,
    scheduler=None,
    progress: bool = True,
    desc: str | None = None,
) -> Result:
    """Run every unfinished cell and store its record; finished cells are skipped.

    Parameters
    ----------
    func : callable
        Top-level (picklable) ``func(config, seed) -> dict``.
    cells : sequence of Cell
    store : ResultStore or path
    jobs : int, optional
        Local worker processes (default ``os.cpu_count()``); ``1`` runs in this process.
        Ignored when ``scheduler`` is given.
    scheduler : str or distributed.Client, optional
        Address of a Dask distributed scheduler (``"tcp://host:8786"``) or a client.
    progress : bool, default True
        Show a tqdm progress bar (cells, including those already finished).
    desc : str, optional
        Label of the progress bar.

    Returns
    -------
    Result
        ``computed`` (cells run now), ``skipped`` (already finished), ``failed`` (list of
        ``(cell, traceback)``), ``elapsed`` seconds, ``store``.

    Raises
    ------
    CellFailure
        After every other cell has run and been stored, if some cell raised.
    """
    if not callable(func):
        raise TypeError(f"func must be callable, got {type(func).__name__}")
    if not isinstance(store, ResultStore):
        store = ResultStore(store)
    cells = list(cells)
    for i, c in enumerate(cells):
        if not isinstance(c, Cell):
            raise TypeError(f"cells[{i}] must be a Cell, got {type(c).__name__}")
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ValueError(f"jobs must be a positive int or None, got {jobs!r}")
    unique = {}
    for c in cells:
        unique.setdefault(c.key, c)
    store.clean_temporary()
    todo = [c for c in unique.values() if not store.has(c)]
    skipped = len(unique) - len(todo)
    failed: list = []
    t0 = time.perf_counter()
    bar = _progress_bar(len(unique), skipped, desc, progress)

    def finish(cell, record=None, error=None):
        if error is not None:
            failed.append((cell, error))
        else:
            store.put(cell, record)
        bar.update(1)

    try:
        if not todo:
            pass
        elif scheduler is not None:
            _run_dask(func, todo, scheduler, finish)
        elif (jobs or os.cpu_count() or 1) == 1 or len(todo) == 1:
            for cell in todo:
                try:
                    record = execute_cell(func, cell)
                except Exception:
                    finish(cell, error=traceback.format_exc())
                else:
                    finish(cell, record)
        else:
            _run_processes(func, todo, min(jobs or os.cpu_count() or 1, len(todo)), finish)
    finally:
        bar.close()
    result = Result(computed=len(todo) - len(failed), skipped=skipped, failed=failed,
                    elapsed=time.perf_counter() - t0, store=store)
    if failed:
        cell, tb = failed[0]
        raise CellFailure(
            f"{len(failed)} of {len(todo)} cells failed (the other results are stored in {store.directory}); "
            f"first failure, {cell!r}:\n{tb}"
        )
    return result


def _run_processes(func, todo, jobs, finish) -> None:
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    context = multiprocessing.get_context("spawn")
    with _single_thread_environment():
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_single_thread_initializer)
        try:
            pending = {pool.submit(execute_cell, func, cell): cell for cell in todo}
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    try:
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                _collect(fut, pending.pop(fut), finish)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _collect(fut, cell, finish) -> None:
    """Hand a finished future's record (or its traceback) to ``finish``."""
    try:
        record = fut.result()
    except Exception:
        finish(cell, error=traceback.format_exc())
    else:
        finish(cell, record)


def _single_thread_task(func, cell):
    """Dask task: cap numba's threads in the worker thread, then run the cell."""
    try:
        import numba

        numba.set_num_threads(1)
    except Exception:  # pragma: no cover - numba missing or already capped lower
        pass
    return execute_cell(func, cell)


def _run_dask(func, todo, scheduler, finish) -> None:
    try:
        from distributed import Client, as_completed
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "running on a Dask scheduler needs the optional 'distributed' extra: "
            "pip install 'robustgames[distributed]' (dask and distributed)"
        ) from exc
    own = not isinstance(scheduler, Client)
    client = Client(scheduler) if own else scheduler
    try:
        futures = {}
        for cell in todo:
            fut = client.submit(_single_thread_task, func, cell, key=f"{cell.study}-{cell.key}", pure=False)
            futures[fut.key] = (fut, cell)
        for fut in as_completed([f for f, _ in futures.values()]):
            _collect(fut, futures[fut.key][1], finish)
            fut.release()
    finally:
        if own:
            client.close()
