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


BAND_ALPHA = 0.25


def band(ax, x, lo, hi, color, *, floor=None, alpha=BAND_ALPHA, edges=True):
    """A confidence band: fill at ``alpha`` (default ``BAND_ALPHA``) with thin edge lines
    (readable in print; ``edges=False`` for many overlapping bands in one panel)."""
    import numpy as np

    if floor is not None:
        lo, hi = np.maximum(lo, floor), np.maximum(hi, floor)
    ax.fill_between(x, lo, hi, color=color, alpha=alpha, lw=0)
    if edges:
        ax.plot(x, lo, color=color, lw=0.5, alpha=0.8)
        ax.plot(x, hi, color=color, lw=0.5, alpha=0.8)


def legend_below(ax, *, ncol=1, fontsize=6.8, offset=-0.22, **kw):
    """A legend under the axes (outside the data area)."""
    return ax.legend(loc="upper center", bbox_to_anchor=(0.5, offset), ncol=ncol, fontsize=fontsize,
                     frameon=False, **kw)


def write_caption(figures_dir, name: str, text: str) -> Path:
    """Write the caption of figure ``name`` as ``name.txt`` next to it (what is certified,
    what is an estimate, how slopes are fitted)."""
    figures_dir = Path(figures_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)
    path = figures_dir / f"{name}.txt"
    path.write_text(text.strip() + "\n")
    return path
