"""The ``robustgames`` command line: ``check``, ``reproduce`` and ``bench``.

* ``robustgames check [--quick] [--json PATH]`` runs every module of
  :mod:`robustgames.proofs_checks` (one claim of the papers each), prints a table
  (claim, source, status, evidence) and exits non-zero if a claim fails.
* ``robustgames reproduce [--full] [--out DIR] [--jobs N] [--scheduler ADDR]`` runs the
  experiments of :mod:`robustgames.experiments` (quick profile by default), resuming
  finished cells, then draws the figures of :mod:`robustgames.paper_figures`.
  ``SIGINT``/``SIGTERM`` stop it cleanly (exit 130/143) with the command that resumes.
* ``robustgames bench [--full] [--json PATH]`` runs the benchmarks of
  :mod:`robustgames.benchmarks` and prints each case as ratios measured in one run.

Bad arguments exit with status 2 and one ``error:`` line naming the argument (argparse's
convention): a name of ``--only`` that matches nothing (the valid names, computed from
the modules, are listed in the message and in each subcommand's ``--help``), a
non-positive ``--jobs``, an output folder or file that cannot be written.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from pathlib import Path


def _int_at_least(low: int, what: str):
    """An argparse type: an integer ``>= low``, else a one-line error saying ``what``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {what} integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be a {what} integer, got {value}")
        return value

    return parse


_positive_int = _int_at_least(1, "positive")
_non_negative_int = _int_at_least(0, "non-negative")


def _only_names() -> dict[str, tuple[str, ...]]:
    """Valid ``--only`` names per subcommand, read from the modules themselves."""
    from .benchmarks._runner import discover
    from .experiments._reproduce import experiment_names
    from .proofs_checks._runner import claim_names

    return {"check": tuple(claim_names()), "reproduce": tuple(experiment_names()), "bench": tuple(discover())}


def _cannot_write_dir(path: Path) -> str | None:
    """Why files cannot be created in folder ``path`` (created if missing), or None."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        return f"cannot write to folder {str(path)!r}: {exc.strerror or exc}"
    return None


def _cannot_write_file(path: Path) -> str | None:
    """Why file ``path`` cannot be written (its folder must exist), or None."""
    if path.is_dir():
        return f"{str(path)!r} is a folder, expected a file name"
    parent = path.parent
    if not parent.is_dir():
        return f"cannot write {str(path)!r}: folder {str(parent)!r} does not exist"
    reason = _cannot_write_dir(parent)
    return None if reason is None else f"cannot write {str(path)!r}: {reason}"


def _parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    from . import __version__
    from .experiments._reproduce import PROFILE_NAMES

    names = _only_names()
    parser = argparse.ArgumentParser(
        prog="robustgames",
        description="Exact solvers for tabular distributionally robust Markov games.",
    )
    parser.add_argument("--version", action="version", version=f"robustgames {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    subs = {}

    p = subs["check"] = sub.add_parser("check", help="verify the papers' claims (each check can fail)")
    p.add_argument("--quick", action="store_true", help="smaller instances, fewer repetitions")
    p.add_argument("--json", metavar="PATH", help="write the claims table as JSON")
    p.add_argument("--only", metavar="NAME", action="append", default=None,
                   help="run only checks whose module name contains NAME (repeatable); names: "
                        + ", ".join(names["check"]))
    p.add_argument("--self-test", action="store_true",
                   help="also run each check against a deliberately wrong operator and confirm it fails")

    p = subs["reproduce"] = sub.add_parser(
        "reproduce", help="run the experiments and draw the figures (quick by default)",
        epilog="Ctrl-C or SIGTERM stops the workers and keeps every finished cell; the command "
               "printed then resumes (exit status 130 / 143).")
    p.add_argument("--full", action="store_true", help="paper-scale profile (hours)")
    p.add_argument("--profile", choices=PROFILE_NAMES, default=None, help=argparse.SUPPRESS)  # "smoke": tests
    p.add_argument("--out", metavar="DIR", default="results", help="results and figures folder (default: results)")
    p.add_argument("--jobs", metavar="N", type=_positive_int, default=None, help="local worker processes (default: all cores)")
    p.add_argument("--scheduler", metavar="ADDR", default=None,
                   help="address of a Dask distributed scheduler (needs the 'distributed' extra)")
    p.add_argument("--only", metavar="NAME", action="append", default=None,
                   help="run only experiments whose name contains NAME (repeatable); the names are "
                        "studies (folders of DIR/data), not figure files: " + ", ".join(names["reproduce"]))
    p.add_argument("--seed", metavar="N", type=_non_negative_int, default=0, help="root seed (default 0)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")

    p = subs["bench"] = sub.add_parser("bench", help="benchmarks, reported as ratios measured in one run")
    p.add_argument("--full", action="store_true", help="all sizes (slower)")
    p.add_argument("--json", metavar="PATH", help="write one record per case as JSON")
    p.add_argument("--only", metavar="NAME", action="append", default=None,
                   help="run only benchmark modules whose name contains NAME (repeatable); names: "
                        + ", ".join(names["bench"]))
    parser.set_defaults(only_names=names)
    return parser, subs


def _validate(args, sub: argparse.ArgumentParser) -> None:
    """Checks argparse cannot express; ``sub.error`` prints usage and exits with status 2."""
    if args.only:
        valid = args.only_names[args.command]
        unknown = [o for o in args.only if not any(o in n for n in valid)]
        if unknown:
            sub.error(f"argument --only: no name contains {', '.join(map(repr, unknown))}; "
                      f"choose from: {', '.join(valid)}")
    if getattr(args, "json", None):
        reason = _cannot_write_file(Path(args.json))
        if reason:
            sub.error(f"argument --json: {reason}")
    if args.command == "reproduce":
        if args.full and args.profile not in (None, "full"):
            sub.error("argument --full: not allowed with --profile")
        if args.scheduler is not None and importlib.util.find_spec("distributed") is None:
            sub.error("argument --scheduler: needs the optional 'distributed' extra: "
                      "pip install 'robustgames[distributed]'")
        reason = _cannot_write_dir(Path(args.out))
        if reason:
            sub.error(f"argument --out: {reason}")


def main(argv=None) -> int:
    parser, subs = _parser()
    args = parser.parse_args(argv)
    _validate(args, subs[args.command])
    if args.command == "check":
        from .proofs_checks._runner import main as check_main

        return check_main(quick=args.quick, json_path=args.json, only=args.only, self_test=args.self_test)
    if args.command == "reproduce":
        from .experiments._reproduce import main as reproduce_main

        return reproduce_main(full=args.full, out=args.out, jobs=args.jobs, scheduler=args.scheduler,
                              only=args.only, seed=args.seed, progress=not args.no_progress,
                              profile=args.profile)
    if args.command == "bench":
        from .benchmarks._runner import main as bench_main

        return bench_main(full=args.full, json_path=args.json, only=args.only)
    raise AssertionError(args.command)  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
