"""Mapping uncertainty sets to the set codes of the compiled learner kernels."""

from __future__ import annotations

import numpy as np

from ._kernels import CONTAMINATION_CODE, KL_CODE, NOMINAL_CODE, TV_CODE


def set_code(U) -> int | None:
    """Kernel code of the set ``U``, or ``None`` when only its ``_values`` hook can be used.

    A set of radius 0 is the nominal kernel whatever its family (every ball contains
    only ``p0`` then), except group sets, which do not depend on ``p0``.
    """
    name = type(U).__name__
    radius = getattr(U, "radius", None)
    if name in ("TV", "KL", "Contamination", "ChiSquare") and radius is not None and float(radius) == 0.0:
        return NOMINAL_CODE
    if name == "TV" and type(U).__module__.startswith("robustgames."):
        return TV_CODE
    if name == "KL" and type(U).__module__.startswith("robustgames."):
        return KL_CODE
    if name == "Contamination" and type(U).__module__.startswith("robustgames."):
        return CONTAMINATION_CODE
    return None


def compile_sets(sets):
    """``(codes int64 (n,), radii float64 (n,))`` or ``None`` if some set has no code."""
    codes = [set_code(U) for U in sets]
    if any(c is None for c in codes):
        return None
    radii = [float(U.radius) if c != NOMINAL_CODE else 0.0 for U, c in zip(sets, codes)]
    return np.asarray(codes, dtype=np.int64), np.asarray(radii, dtype=np.float64)
