"""The ``robustgames`` command line: ``check``, ``reproduce`` and ``bench``.

* ``robustgames check [--quick] [--json PATH]`` runs every module of
  :mod:`robustgames.proofs_checks` (one claim of the papers each), prints a table
  (claim, source, status, evidence) and exits non-zero if a claim fails.
* ``robustgames reproduce [--full] [--out DIR] [--jobs N] [--scheduler ADDR]`` runs the
  experiments of :mod:`robustgames.experiments` (quick profile by default), resuming
  finished cells, then draws the figures of :mod:`robustgames.paper_figures`.
* ``robustgames bench [--full] [--json PATH]`` runs the benchmarks of
  :mod:`robustgames.benchmarks` and prints each case as ratios measured in one run.
"""

from __future__ import annotations

import argparse
import sys


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="robustgames",
        description="Exact solvers for tabular distributionally robust Markov games.",
    )
    parser.add_argument("--version", action="version", version=f"robustgames {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("check", help="verify the papers' claims (each check can fail)")
    p.add_argument("--quick", action="store_true", help="smaller instances, fewer repetitions")
    p.add_argument("--json", metavar="PATH", help="write the claims table as JSON")
    p.add_argument("--only", metavar="NAME", action="append", default=None,
                   help="run only checks whose module name contains NAME (repeatable)")
    p.add_argument("--self-test", action="store_true",
                   help="also run each check against a deliberately wrong operator and confirm it fails")

    p = sub.add_parser("reproduce", help="run the experiments and draw the figures (quick by default)")
    p.add_argument("--full", action="store_true", help="paper-scale profile (hours)")
    p.add_argument("--out", metavar="DIR", default="results", help="results and figures folder (default: results)")
    p.add_argument("--jobs", type=int, default=None, help="local worker processes (default: all cores)")
    p.add_argument("--scheduler", metavar="ADDR", default=None,
                   help="address of a Dask distributed scheduler (needs the 'distributed' extra)")
    p.add_argument("--only", metavar="NAME", action="append", default=None,
                   help="run only experiments whose name contains NAME (repeatable)")
    p.add_argument("--seed", type=int, default=0, help="root seed (default 0)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")

    p = sub.add_parser("bench", help="benchmarks, reported as ratios measured in one run")
    p.add_argument("--full", action="store_true", help="all sizes (slower)")
    p.add_argument("--json", metavar="PATH", help="write one record per case as JSON")
    p.add_argument("--only", metavar="NAME", action="append", default=None,
                   help="run only benchmark modules whose name contains NAME (repeatable)")
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "check":
        from .proofs_checks._runner import main as check_main

        return check_main(quick=args.quick, json_path=args.json, only=args.only, self_test=args.self_test)
    if args.command == "reproduce":
        from .experiments._reproduce import main as reproduce_main

        return reproduce_main(full=args.full, out=args.out, jobs=args.jobs, scheduler=args.scheduler,
                              only=args.only, seed=args.seed, progress=not args.no_progress)
    if args.command == "bench":
        from .benchmarks._runner import main as bench_main

        return bench_main(full=args.full, json_path=args.json, only=args.only)
    raise AssertionError(args.command)  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
