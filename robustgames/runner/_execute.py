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

Warm-up: cells listed in ``warm_up`` run first, in this process, before the progress bar
starts. Their JIT-compiled kernels go to numba's on-disk cache (``cache=True``), from which
the workers load them, so compilation neither runs once per worker nor inflates the
bar's estimated time left.

Stopping: if the calling process is interrupted while workers run (``KeyboardInterrupt``,
or any exception a signal handler raises), the cells that already came back are stored,
every worker process is terminated (killed if it does not exit within seconds) and the
exception propagates; nothing keeps running in the background. Workers ignore
``SIGINT`` (a Ctrl-C reaches the whole process group): the caller decides.

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
import signal
import threading
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


def _worker_initializer() -> None:  # runs in each worker process
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the workers
    for name in _THREAD_VARIABLES:
        os.environ.setdefault(name, "1")


@contextlib.contextmanager
def _worker_environment():
    """While worker processes are spawned: set the thread variables (if unset) and ignore
    ``SIGINT`` (inherited by the workers, so a Ctrl-C during their start-up prints no
    traceback; the initializer then keeps ignoring it)."""
    added = [name for name in _THREAD_VARIABLES if name not in os.environ]
    for name in added:
        os.environ[name] = "1"
    main = threading.current_thread() is threading.main_thread()
    old = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        yield
    finally:
        if main:
            signal.signal(signal.SIGINT, old)
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
    warm_up: Sequence[Cell] = (),
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
    warm_up : sequence of Cell, optional
        Cells of ``cells`` to run first, in this process, before the progress bar starts
        (typically the cheapest cell of each kind, so that JIT compilation happens once
        and the workers load the compiled code from numba's cache). Ignored with
        ``scheduler`` (remote workers have their own caches).

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
    warm_keys = []
    for i, c in enumerate(warm_up):
        if not isinstance(c, Cell) or c.key not in unique:
            raise ValueError(f"warm_up[{i}] must be one of the cells, got {c!r}")
        warm_keys.append(c.key)
    store.clean_temporary()
    todo = [c for c in unique.values() if not store.has(c)]
    skipped = len(unique) - len(todo)
    failed: list = []
    t0 = time.perf_counter()
    bar = None

    def finish(cell, record=None, error=None):
        if error is not None:
            failed.append((cell, error))
        else:
            store.put(cell, record)
        if bar is not None:
            bar.update(1)

    if scheduler is None and warm_keys:
        first = {k: unique[k] for k in warm_keys if not store.has(unique[k])}
        _run_serial(func, list(first.values()), finish)
        rest = [c for c in todo if c.key not in first]
    else:
        first, rest = {}, todo
    bar = _progress_bar(len(unique), skipped + len(first), desc, progress)
    try:
        if not rest:
            pass
        elif scheduler is not None:
            _run_dask(func, rest, scheduler, finish)
        elif (jobs or os.cpu_count() or 1) == 1 or len(rest) == 1:
            _run_serial(func, rest, finish)
        else:
            _run_processes(func, rest, min(jobs or os.cpu_count() or 1, len(rest)), finish)
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


def _run_serial(func, todo, finish) -> None:
    for cell in todo:
        try:
            record = execute_cell(func, cell)
        except Exception:
            finish(cell, error=traceback.format_exc())
        else:
            finish(cell, record)


def _run_processes(func, todo, jobs, finish) -> None:
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    context = multiprocessing.get_context("spawn")
    pending: dict = {}
    pool = None
    try:
        with _worker_environment():
            pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_worker_initializer)
            for cell in todo:
                pending[pool.submit(execute_cell, func, cell)] = cell
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                _collect(fut, pending.pop(fut), finish)
    except BaseException:
        if pool is not None:
            _stop_pool(pool, pending, finish)
        raise
    pool.shutdown(wait=True)


def _stop_pool(pool, pending: dict, finish, timeout: float = 5.0) -> None:
    """End every worker process, then store the cells that had already come back.

    ``shutdown(cancel_futures=True)`` alone would let running cells finish (minutes) and
    keep the interpreter alive until then; so the workers are terminated (``SIGTERM``),
    and killed if still alive after ``timeout`` seconds. Python < 3.14 has no public
    way to reach the workers (``terminate_workers``), hence ``pool._processes``.
    """
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    try:
        for p in processes:
            p.terminate()
        deadline = time.monotonic() + timeout
        for p in processes:
            p.join(max(0.0, deadline - time.monotonic()))
            if p.is_alive():
                p.kill()
                p.join(timeout)
    finally:
        for fut, cell in list(pending.items()):
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                finish(cell, fut.result())


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
    futures = {}
    try:
        for cell in todo:
            fut = client.submit(_single_thread_task, func, cell, key=f"{cell.study}-{cell.key}", pure=False)
            futures[fut.key] = (fut, cell)
        for fut in as_completed([f for f, _ in futures.values()]):
            _collect(fut, futures[fut.key][1], finish)
            fut.release()
    except BaseException:  # interrupted: do not leave the cells running on the cluster
        client.cancel([f for f, _ in futures.values()])
        raise
    finally:
        if own:
            client.close()
