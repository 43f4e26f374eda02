"""Learning curves of skrl's agents on an exported game (reads ONLY :class:`robustgames.Tracker`
JSON files, e.g. those of ``examples/bridge_skrl.py``).

``draw(tracker_json_paths, out_dir)`` draws ``bridge_marl.png/.pdf`` and its caption
``bridge_marl.txt`` from the tracker files of several seeds of one run:

* left: the exact robust value ``mu . V^pi_1`` of the agents' (stochastic) joint policy
  against training steps: mean over seeds with a band of +- one standard deviation
  across seeds (thin lines: each seed), and the tracker's exact reference (for a team
  game the robust team optimum ``mu . V*``, robust value iteration over joint actions) as
  a horizontal dashed line;
* right: the exact robust gap of the same policies (``gap_nash`` when every record is a
  product policy, else ``gap_cce``), same statistics, log scale.

Every point is an exact robust evaluation of the policy at that step (no sampling); the
spread is across training seeds only. The statistics and the reference reuse
:mod:`robustgames.paper_figures.bridge` (``load`` and the per-step stacking).
"""

from __future__ import annotations

import numpy as np

from ._style import COLORS, band, figure, save, write_caption
from .bridge import _stack, load

__all__ = ["draw"]

NAME = "bridge_marl"


def _mean_band(ax, x, Y, color, label, *, floor=None):
    mean, sd = np.nanmean(Y, axis=0), np.nanstd(Y, axis=0)
    for y in Y:
        ax.plot(x, y, color=color, lw=0.4, alpha=0.35)
    band(ax, x, mean - sd, mean + sd, color, floor=floor)
    ax.plot(x, mean, color=color, lw=1.5, label=label)


def draw(tracker_json_paths, out_dir, *, what: str = "skrl IPPO agents") -> list:
    """Draw the learning-curve figure and its caption; returns the written paths.

    Parameters
    ----------
    tracker_json_paths : sequence of path-like
        Tracker files of one configuration (same steps, same game and set), one per seed.
    out_dir : path-like
    what : str
        Who was trained (caption text).
    """
    paths = list(tracker_json_paths)
    if not paths:
        raise ValueError("tracker_json_paths is empty")
    runs = load(paths)
    ref = runs[0].get("reference")
    kind = runs[0].get("reference_kind") or "reference"
    if ref is None:
        raise ValueError("the tracker files have no exact reference (Tracker(reference=False)?)")
    if any(d.get("reference") != ref for d in runs):
        raise ValueError("the tracker files have different references (different games or sets?)")
    product = all(r.get("is_product") for d in runs for r in d["records"])
    gap_key = "gap_nash" if product else "gap_cce"
    gap_name = "Nash" if product else "CCE"
    x, V = _stack(runs, "values")
    _, G = _stack(runs, gap_key)
    n = len(runs)

    fig, axes = figure(1, 2, width=6.8, height=2.6)
    ax_v, ax_g = axes[0]
    _mean_band(ax_v, x, V, COLORS[0], f"agents' policy (mean, +-1 sd, {n} seeds)")
    ax_v.axhline(ref[0], color="k", ls="--", lw=1.0, label=f"exact robust {kind} ({ref[0]:.3f})")
    ax_v.set_xlabel("environment steps")
    ax_v.set_ylabel("exact robust value")
    ax_v.set_title("robust value of the learned policy")
    ax_v.legend(loc="lower right")
    positive = G[np.isfinite(G) & (G > 0)]
    floor = max(float(positive.min()) / 2, 1e-6) if positive.size else 1e-6
    _mean_band(ax_g, x, np.maximum(G, floor), COLORS[1], "agents' policy (mean, +-1 sd)", floor=floor)
    ax_g.set_yscale("log")
    ax_g.set_xlabel("environment steps")
    ax_g.set_ylabel(f"exact robust {gap_name} gap")
    ax_g.set_title(f"robust {gap_name} gap (0 = equilibrium)")
    ax_g.legend(loc="upper right")
    for ax in (ax_v, ax_g):
        ax.set_xlim(0, x.max())
    fig.tight_layout()
    written = save(fig, out_dir, NAME)

    fv, fg = V[:, -1], G[:, -1]
    caption = (
        f"{what} trained through skrl's PettingZoo wrapper on {runs[0]['game']} exported with "
        f"robustgames.to_pettingzoo, judged under {runs[0]['uncertainty']}. Left: exact robust value "
        f"mu.V^pi_1 of the agents' joint softmax policy every {runs[0]['every']} environment steps; "
        f"dashed: the exact robust {kind} ({ref[0]:.4f}). Right: its exact robust {gap_name} gap (log scale; "
        f"gaps of exactly 0 and band edges below {floor:.1e} are drawn at {floor:.1e}). Every point is an exact robust evaluation "
        f"(robustgames.Tracker / assess), not an estimate; thick line = mean, band = +-1 standard "
        f"deviation, thin lines = the {n} training seeds. Final robust value: mean {fv.mean():.4f} "
        f"(range {fv.min():.4f}..{fv.max():.4f}), i.e. {100 * (1 - fv.mean() / ref[0]):.1f}% below the "
        f"optimum; final gap: mean {fg.mean():.4f} (range {fg.min():.4f}..{fg.max():.4f})."
    )
    written.append(write_caption(out_dir, NAME, caption))
    return written
