"""A training tracker: exact robust values and gaps along any training run.

A training loop calls the tracker every ``N`` steps with its current policy (callables
``observation -> action probabilities``, a policy array, optionally a Q-table); the
tracker runs :func:`robustgames.bridge.assess` (one exact robust evaluation and ``2n``
exact best responses) and appends a record::

    {"step", "wall_time", "assess_seconds", "values", "best_response_values",
     "improvements", "gap_nash", "gap_ce", "gap_cce", "is_product",
     ["q_error", "greedy_agreement"]}

``wall_time`` is seconds since the tracker was created, ``assess_seconds`` the time the
exact evaluation took (so training time is ``wall_time`` minus the running sum of
``assess_seconds``). Records are written as strict JSON (non-finite numbers, e.g. the
NaN ``gap_nash`` of a correlated policy, become ``null``). :meth:`Tracker.plot` draws
learning curves against the exact reference (matplotlib is imported only there):

* team game (identical rewards and sets): the optimal robust team value
  ``mu . V*`` (``V*`` by robust value iteration over joint actions);
* general-sum: the per-player values of the robust equilibrium returned by
  :func:`robustgames.solve` (``"nash"`` for at most two players, else ``"cce"``): a
  reference point, not an optimum (equilibria need not be unique).
"""

from __future__ import annotations

import json
import os
import time

import numpy as np

from .._validation import check_positive_int
from ..games import MarkovGame
from ..planning._backup import player_sets
from ..planning._solve import solve
from ._assess import _optimal_team_q, assess, is_team_game

__all__ = ["Tracker"]


class Tracker:
    """Record exact robust values and gaps of a policy during training.

    Parameters
    ----------
    game : MarkovGame
    U : UncertaintySet or list of UncertaintySet
    every : int, default 1
        ``tracker(step, policy)`` records only when ``step % every == 0``
        (:meth:`record` always records).
    path : str or os.PathLike, optional
        If given, the JSON file is rewritten after every record (a crash keeps the curve).
    observation : {"one_hot", "index"}
        Observation encoding read by policy callables.
    reference : bool, default True
        Compute the exact reference (team optimum or equilibrium values; see module doc)
        once, at construction.
    **assess_options
        Passed to :func:`robustgames.bridge.assess` (``q_target``, ``tol``, ...).

    Examples
    --------
    >>> import numpy as np, robustgames as rg
    >>> from robustgames.bridge import Tracker
    >>> game = rg.intersection_game(payoff="penalty")
    >>> tracker = Tracker(game, rg.TV(0.1), every=10)
    >>> uniform = lambda obs: np.full((len(obs), 3), 1 / 3)
    >>> tracker(0, [uniform, uniform]).gap_cce > 0
    True
    """

    def __init__(self, game: MarkovGame, U, *, every: int = 1, path=None, observation: str = "one_hot",
                 reference: bool = True, **assess_options):
        if not isinstance(game, MarkovGame):
            raise TypeError(f"game must be a MarkovGame, got {type(game).__name__}")
        self.game = game
        self.U = U
        self._sets = player_sets(game, U)
        self.every = check_positive_int(every, "every")
        self.path = None if path is None else os.fspath(path)
        self.observation = observation
        self.assess_options = dict(assess_options)
        self.records: list[dict] = []
        self.team = is_team_game(game, self._sets)
        self.reference = None
        self.reference_kind = None
        if reference:
            self.reference, self.reference_kind = self._reference()
        self._t0 = time.perf_counter()

    def _reference(self):
        game = self.game
        mu = game.initial
        if self.team:
            Qs = _optimal_team_q(game, self._sets, 1e-10, 1_000_000)
            V = Qs.max(axis=-1)
            v = float(mu @ (V if game.discounted else V[0]))
            return [v] * game.n_players, "team optimum"
        eq = "nash" if game.n_players <= 2 else "cce"
        sol = solve(game, self._sets, eq)
        V = sol.values if game.discounted else sol.values[0]
        return [float(x) for x in mu @ V], f"robust {eq} of rg.solve (gap {sol.gap:.2e})"

    def __call__(self, step: int, policy, Q=None):
        """Record if ``step % every == 0``; returns the :func:`assess` result or ``None``."""
        step = check_positive_int(step, "step", minimum=0)
        if step % self.every:
            return None
        return self.record(step, policy, Q)

    def record(self, step: int, policy, Q=None):
        """Assess ``policy`` (and ``Q``) exactly and append a record; returns the result."""
        step = check_positive_int(step, "step", minimum=0)
        wall = time.perf_counter() - self._t0
        start = time.perf_counter()
        res = assess(self.game, self.U, policy, Q, observation=self.observation, **self.assess_options)
        seconds = time.perf_counter() - start
        rec = {
            "step": step,
            "wall_time": wall,
            "assess_seconds": seconds,
            "values": res.values.tolist(),
            "best_response_values": res.best_response_values.tolist(),
            "improvements": res.improvements.tolist(),
            "gap_nash": res.gap_nash,
            "gap_ce": res.gap_ce,
            "gap_cce": res.gap_cce,
            "is_product": res.is_product,
        }
        if Q is not None:
            rec["q_error"] = res.q_error
            rec["greedy_agreement"] = res.greedy_agreement
        self.records.append(rec)
        if self.path is not None:
            self.save(self.path)
        return res

    # -- persistence --------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "game": repr(self.game),
            "uncertainty": repr(self.U),
            "every": self.every,
            "reference": self.reference,
            "reference_kind": self.reference_kind,
            "records": self.records,
        }

    def to_json(self, indent: int | None = 1) -> str:
        """Strict JSON (RFC 8259): non-finite numbers are written as ``null``."""
        from ..runner import strict_json

        return strict_json(self.to_dict(), indent=indent)

    def save(self, path) -> None:
        """Write :meth:`to_json` to ``path`` (atomically: a temporary file, then rename)."""
        path = os.fspath(path)
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(self.to_json())
        os.replace(tmp, path)

    @staticmethod
    def load(path) -> dict:
        """The saved dictionary (``reference``, ``records``, ...) of a tracker file."""
        with open(os.fspath(path), encoding="utf-8") as f:
            return json.load(f)

    def curve(self, key: str, player: int | None = None) -> tuple:
        """``(steps, values)`` arrays of a recorded field (per-player fields need ``player``;
        ``null`` becomes NaN)."""
        steps = np.array([r["step"] for r in self.records])
        vals = []
        for r in self.records:
            x = r.get(key)
            if isinstance(x, list):
                if player is None:
                    raise ValueError(f"{key} is recorded per player: give player=")
                x = x[player]
            vals.append(np.nan if x is None else x)
        return steps, np.array(vals, dtype=float)

    # -- plotting -----------------------------------------------------------------------
    def plot(self, *, player: int = 0, gaps=("gap_cce", "gap_ce"), fig=None):
        """Learning curves: ``player``'s exact robust value against the reference line,
        and the exact gaps (log scale when positive). Returns the matplotlib Figure."""
        from matplotlib.figure import Figure

        if fig is None:
            fig = Figure(figsize=(8, 3.2))
        ax_v, ax_g = fig.subplots(1, 2)
        steps, v = self.curve("values", player)
        ax_v.plot(steps, v, marker="o", ms=3, label=f"player {player} robust value")
        steps_br, br = self.curve("best_response_values", player)
        ax_v.plot(steps_br, br, ls=":", label="robust best response")
        if self.reference is not None:
            ax_v.axhline(self.reference[player], color="k", ls="--", lw=1, label=self.reference_kind)
        ax_v.set_xlabel("training step")
        ax_v.set_ylabel("exact robust value")
        ax_v.legend(fontsize=7)
        positive = False
        for key in gaps:
            s, g = self.curve(key)
            ax_g.plot(s, g, marker="o", ms=3, label=key)
            positive |= bool(np.nanmax(g, initial=0.0) > 0)
        if positive:
            ax_g.set_yscale("symlog", linthresh=1e-6)
        ax_g.set_xlabel("training step")
        ax_g.set_ylabel("exact robust gap")
        ax_g.legend(fontsize=7)
        fig.tight_layout()
        return fig
