"""Bridge to deep multi-agent RL: PettingZoo export, exact assessment of external
policies, and a training tracker.

* :func:`to_pettingzoo` exports any :class:`~robustgames.MarkovGame` as a PettingZoo
  environment (optional extra ``robustgames[pettingzoo]``; imported only when called)
  whose nature plays ``P0``, a given kernel, kernels drawn from an uncertainty set, or
  the exact worst case of a policy;
* :func:`policy_from_callable` / :func:`policy_from_q` tabulate what a learner produced
  and :func:`assess` returns its exact robust values, best responses and gaps;
* :func:`stress_test` plays a policy against the exact worst-case nature and compares
  the mean return with the exact robust value;
* :class:`Tracker` records them along a training run (JSON; plots with matplotlib,
  imported lazily).
"""

from ._assess import assess, is_team_game, policy_from_callable, policy_from_q, reachable_points
from ._observations import all_observations
from ._pettingzoo import nature_kernel, sample_kernel, to_pettingzoo
from ._stress import stress_test
from ._tracker import Tracker

__all__ = [
    "assess",
    "policy_from_callable",
    "policy_from_q",
    "is_team_game",
    "reachable_points",
    "all_observations",
    "to_pettingzoo",
    "nature_kernel",
    "sample_kernel",
    "Tracker",
    "stress_test",
]
