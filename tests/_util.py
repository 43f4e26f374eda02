"""Helpers shared by several test modules (imported as ``from _util import ...``; pytest puts
this folder on ``sys.path``)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def strict_loads(text: str):
    """``json.loads`` that rejects the non-standard constants NaN, Infinity, -Infinity."""

    def reject(constant):
        raise ValueError(f"non-standard JSON constant {constant}")

    return json.loads(text, parse_constant=reject)


def load_example(name: str):
    """Import ``examples/<name>.py`` (not a package) as a module."""
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod
