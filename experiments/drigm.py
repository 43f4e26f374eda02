"""DrIGM: the published robust targets and mixers against the exact robust optimum.

For every game of :func:`games` (climbing, penalty, intersection, chute, building), every
target of :data:`robustgames.factorization.TARGETS` and every mixer of
:data:`robustgames.factorization.MIXERS`: the fixed point of the target with the mixer
(:func:`robustgames.factorization.target_fixed_point`), the EXACT robust value of its
greedy decentralised policy under the true set (TV or contamination of radius ``rho``;
for the group targets the building's climate set), as a fraction of the exact robust
optimum (docs/theory.md sections 6.2 and 6.3). Group targets apply only where a group of
models exists (the building's climates, discounted); other cells are "n/a".
Cost: the building (gamma = 0.95) with the "vdn_linf" (one LP per state per iteration)
and "monotone" mixers takes more than 8 minutes on one core; the other games ~40 s.

``table(rho)`` returns the rows; ``markdown(rows)`` formats them; ``run(out_dir, rho)``
writes ``drigm_table.md`` and returns its path.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import robustgames as rg
from robustgames.factorization import MIXERS, TARGETS, target_fixed_point
from robustgames.games import climbing_game, intersection_game, penalty_game
from robustgames.games._building import building_climates, building_game

__all__ = ["games", "table", "markdown", "run"]


def games():
    """``{name: (game, group or None)}``; ``group`` = (rewards, kernels) over climates."""
    out = {
        "climbing": (climbing_game(gamma=0.9), None),
        "penalty": (penalty_game(gamma=0.9), None),
        "intersection": (intersection_game(gamma=0.9), None),
        "chute": (rg.chute_mapping_game(rng=0).as_markov_game(), None),
    }
    b = building_game()
    K = building_climates()
    m = len(K)
    out["building"] = (b, (np.repeat(b.rewards[None, ..., 0], m, axis=0), np.stack(list(K.values()))))
    return out


def table(rho: float = 0.2, *, targets=TARGETS, mixers=MIXERS, only=None):
    """Rows ``dict(game, target, mixer, value, optimum, ratio, converged)`` (``value`` None
    where the target does not apply)."""
    rows = []
    for name, (game, group) in games().items():
        if only is not None and name not in only:
            continue
        for target in targets:
            for mixer in mixers:
                row = dict(game=name, target=target, mixer=mixer, value=None, optimum=None, ratio=None,
                           converged=None)
                if target.startswith("group"):
                    if group is None or not game.discounted:
                        rows.append(row)
                        continue
                    res = target_fixed_point(game, target, rho, mixer=mixer, group=group)
                else:
                    res = target_fixed_point(game, target, rho, mixer=mixer)
                row.update(value=res.value, optimum=res.optimum, ratio=res.ratio, converged=res.converged)
                rows.append(row)
    return rows


def markdown(rows, rho=None) -> str:
    """One Markdown table per game: targets as rows, mixers as columns, cells
    ``value / optimum`` (``*`` marks a projected iteration that did not converge)."""
    mixers = list(dict.fromkeys(r["mixer"] for r in rows))
    lines = []
    if rho is not None:
        lines.append(f"Exact robust value of the greedy policy of each fixed point / exact robust optimum "
                     f"(rho = {rho}).\n")
    for game in dict.fromkeys(r["game"] for r in rows):
        sub = [r for r in rows if r["game"] == game]
        lines.append(f"### {game}")
        lines.append("")
        lines.append("| target | " + " | ".join(mixers) + " |")
        lines.append("|---|" + "---|" * len(mixers))
        for target in dict.fromkeys(r["target"] for r in sub):
            cells = []
            for m in mixers:
                r = next(x for x in sub if x["target"] == target and x["mixer"] == m)
                if r["ratio"] is None:
                    cells.append("n/a")
                else:
                    cells.append(f"{r['ratio']:.3f}" + ("" if r["converged"] else "*"))
            lines.append(f"| {target} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def run(out_dir=".", rho: float = 0.2) -> Path:
    """Compute :func:`table` and write ``drigm_table.md`` into ``out_dir``."""
    rows = table(rho)
    path = Path(out_dir) / "drigm_table.md"
    path.write_text(markdown(rows, rho))
    return path


if __name__ == "__main__":  # pragma: no cover
    print(markdown(table(), 0.2))
