"""Learning curves of the bridge example (reads ONLY :class:`robustgames.Tracker` JSON files).

``draw(tracker_json_paths, out_dir)`` draws ``bridge_learning.png/.pdf`` and its caption
``bridge_learning.txt`` from the tracker files of several seeds of one run (e.g.
``examples/bridge_independent_q.py``):

* left: the exact robust value ``mu . V^pi_1`` of the tracked policy against training
  steps (median over seeds, band = min..max over seeds; step functions: each
  checkpoint's policy is held until the next), with the
  tracker's exact reference (the robust team optimum for a team game) as a dashed line;
* right: the exact robust gap of the tracked policy (``gap_nash`` when every record is a
  product policy, else ``gap_cce``), same statistics.

Every point is an exact robust evaluation of the policy at that step (no sampling); the
spread is across training seeds only.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ._style import BAND_ALPHA, COLORS, figure, save, write_caption

__all__ = ["draw", "load"]

NAME = "bridge_learning"
GAP_LINTHRESH = 1e-3  # the gap axis is linear below this, logarithmic above


def load(paths) -> list[dict]:
    """The tracker dictionaries (strict JSON; ``null`` stays ``None``)."""
    out = []
    for p in paths:
        data = json.loads(Path(p).read_text())
        if not data.get("records"):
            raise ValueError(f"tracker file {p} has no records")
        out.append(data)
    return out


def _stack(runs, key, player=0):
    """Steps (common to all runs) and a (seeds, steps) array of ``key``."""
    steps = [np.array([r["step"] for r in d["records"]]) for d in runs]
    if any(s.shape != steps[0].shape or np.any(s != steps[0]) for s in steps):
        raise ValueError("the tracker files record different steps; use one run configuration")
    Y = []
    for d in runs:
        row = []
        for r in d["records"]:
            x = r[key]
            x = x[player] if isinstance(x, list) else x
            row.append(np.nan if x is None else float(x))
        Y.append(row)
    return steps[0], np.array(Y)


def _panel(ax, x, Y, color, label):
    """Median and min..max band as step functions: a policy is only known at the
    checkpoints and is held until the next one (no interpolation between them)."""
    lo, hi = np.nanmin(Y, axis=0), np.nanmax(Y, axis=0)
    ax.fill_between(x, lo, hi, step="post", color=color, alpha=BAND_ALPHA, lw=0,
                    label=f"min..max over {Y.shape[0]} seeds")
    ax.plot(x, np.nanmedian(Y, axis=0), color=color, lw=1.4, drawstyle="steps-post", label=label)


def draw(tracker_json_paths, out_dir) -> list[Path]:
    """Draw the learning-curve figure and its caption; returns the written paths."""
    paths = list(tracker_json_paths)
    if not paths:
        raise ValueError("tracker_json_paths is empty")
    runs = load(paths)
    ref = runs[0].get("reference")
    kind = runs[0].get("reference_kind") or "reference"
    if any(d.get("reference") != ref for d in runs):
        raise ValueError("the tracker files have different references (different games or sets?)")
    product = all(r.get("is_product") for d in runs for r in d["records"])
    gap_key = "gap_nash" if product else "gap_cce"
    x, V = _stack(runs, "values")
    _, G = _stack(runs, gap_key)
    xs = x
    first = x[x > 0].min() if np.any(x > 0) else 1

    fig, axes = figure(1, 2, width=6.8, height=2.5)
    ax_v, ax_g = axes[0]
    _panel(ax_v, xs, V, COLORS[0], "greedy policy (median)")
    if ref is not None:
        ax_v.axhline(ref[0], color="k", ls="--", lw=1.0, label=f"exact {kind}")
        med = float(np.median(V[:, -1]))
        ax_v.annotate(f"final median {med:.3f}\n= optimum {100 * (med / ref[0] - 1):+.1f}%",
                      xy=(xs[-1], med), xytext=(0.55, 0.55), textcoords="axes fraction", fontsize=7,
                      arrowprops=dict(arrowstyle="->", lw=0.6, color="0.3"))
    ax_v.set_xlabel("training step")
    ax_v.set_ylabel("exact robust value")
    ax_v.set_title("robust value of the learned policy")
    ax_v.legend(loc="lower right")
    _panel(ax_g, xs, G, COLORS[1], "greedy policy (median)")
    ax_g.set_yscale("symlog", linthresh=GAP_LINTHRESH)
    ax_g.set_ylim(0.0, None)
    ax_g.set_xlabel("training step")
    ax_g.set_ylabel(f"exact robust {'Nash' if product else 'CCE'} gap")
    ax_g.set_title(f"robust {'Nash' if product else 'CCE'} gap (0 = equilibrium)")
    ax_g.legend(loc="upper right")
    for ax in (ax_v, ax_g):
        ax.set_xscale("symlog", linthresh=first)
        ax.set_xlim(0, xs.max())
    fig.tight_layout()
    written = save(fig, out_dir, NAME)

    final_v, final_g = V[:, -1], G[:, -1]
    caption = (
        f"Independent tabular Q-learners trained on the nominal kernel of {runs[0]['game']} "
        f"(exported with robustgames.to_pettingzoo), judged under {runs[0]['uncertainty']}. "
        f"Left: exact robust value mu.V^pi_1 of the agents' greedy joint policy every "
        f"{runs[0]['every']} steps; dashed: the exact {kind} ({ref[0]:.4f}). Right: its exact robust "
        f"{'Nash' if product else 'CCE'} gap. Every point is an exact robust evaluation "
        f"(robustgames.Tracker / assess), not an estimate; line = median, band = min..max over "
        f"the {len(runs)} training seeds (step functions: each checkpoint's policy is held until the next; "
        f"symmetric-log axes, linear below the first checkpoint and below a gap of {GAP_LINTHRESH:g}). "
        f"The late spikes are real: with exploration epsilon = 0.05 the greedy action at the conflict "
        f"state still flips between checkpoints. Final robust value: median {np.median(final_v):.4f} "
        f"(range {final_v.min():.4f}..{final_v.max():.4f}), i.e. {100 * (1 - np.median(final_v) / ref[0]):.1f}% "
        f"below the optimum; final gap: median {np.median(final_g):.4f} "
        f"(range {final_g.min():.4f}..{final_g.max():.4f})."
    )
    written.append(write_caption(out_dir, NAME, caption))
    return written
