"""Shared look of the paper figures: matplotlib (Agg) with paper-sized fonts; save as PNG + PDF."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

RC = {
    "font.family": "serif",
    "font.size": 9,
    "axes.titlesize": 9.5,
    "axes.labelsize": 9,
    "legend.fontsize": 7.5,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "grid.linewidth": 0.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 1.4,
    "legend.frameon": True,
    "legend.framealpha": 0.85,
    "legend.edgecolor": "0.85",
    "legend.borderpad": 0.3,
    "legend.handlelength": 1.8,
    "savefig.dpi": 200,
    "figure.dpi": 100,
    "mathtext.fontset": "dejavuserif",
}
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f"]


def figure(nrows=1, ncols=1, *, width=6.8, height=2.8, **kw):
    """A figure in the house style (sizes in inches; the style applies while drawing)."""
    plt.rcParams.update(RC)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), squeeze=False, **kw)
    return fig, axes


def save(fig, figures_dir, name: str) -> list[Path]:
    """Save ``fig`` as ``name.png`` and ``name.pdf`` in ``figures_dir``; close it."""
    figures_dir = Path(figures_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    with plt.rc_context(RC):
        for ext in ("png", "pdf"):
            path = figures_dir / f"{name}.{ext}"
            fig.savefig(path, bbox_inches="tight")
            paths.append(path)
    plt.close(fig)
    return paths
