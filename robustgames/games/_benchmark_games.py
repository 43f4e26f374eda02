"""Benchmark games for the regret experiments of MORNAVI (THEORY.md section 4).

* :func:`fail_state_game`: a random game plus an absorbing, zero-reward FAIL state that
  every ``(h, s, a)`` reaches with positive nominal probability. Then ``min_s V_h(s) = 0``
  for every value function of the game (nominal or robust, any policy), the regime in
  which the TV regret bound ``O~(sqrt(min(1/sigma, H) H^2 S K prod A_i))`` holds (Lu et
  al., arXiv 2404.03578, "fail state" assumption; MORNAVI, arXiv 2508.02948).
* :func:`support_shift_game`: the support-shift construction behind the linear lower
  bound ``Omega(sigma K min(H, prod A_i))`` for online learning with TV sets: a HIDDEN
  state that the nominal kernel never reaches but a TV adversary does. Two variants are
  identical wherever the nominal game goes and differ only at the hidden state.
* :func:`game_catalog`: name -> zero-argument factory of small default instances.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import check_positive_int, check_radius
from ._coordination import intersection_game
from ._markov_game import MarkovGame
from ._matrix import (
    climbing_game,
    matching_pennies,
    penalty_game,
    prisoners_dilemma,
    rock_paper_scissors,
    stag_hunt,
)
from ._random import random_game

__all__ = ["fail_state_game", "support_shift_game", "game_catalog"]


def fail_state_game(
    n_states: int,
    n_actions,
    horizon: int | None = None,
    *,
    gamma: float | None = None,
    n_players: int | None = None,
    fail_prob: float = 0.1,
    support: int | None = None,
    rng=None,
    name: str | None = None,
) -> MarkovGame:
    """A random general-sum game with an absorbing zero-reward FAIL state.

    States ``0..n_states-2`` are regular, state ``n_states - 1`` is FAIL; the game starts
    in state 0. The regular part is :func:`~robustgames.games.random_game` on
    ``n_states - 1`` states (rewards uniform in ``[0, 1]``, Dirichlet(1) rows on a support
    of size ``support``), drawn from ``rng`` first; then every regular row is mixed with
    FAIL::

        P(. | s, a) = (1 - fail_prob) * P_random(. | s, a) + fail_prob * delta_FAIL
        P(. | FAIL, a) = delta_FAIL,    r_i(FAIL, a) = 0   for every player i.

    Property: every ``(h, s, a)`` reaches FAIL with probability ``fail_prob > 0``, and
    since rewards are non-negative and FAIL is absorbing with zero reward,
    ``V_h(FAIL) = 0 = min_s V_h(s)`` for every policy and every (robust) evaluation: the
    "fail state" condition under which the TV regret bound of MORNAVI / Lu et al.
    (arXiv 2508.02948, 2404.03578) holds without support-shift hardness. Under a TV
    ball the worst case moves mass to FAIL.

    Parameters
    ----------
    n_states : int
        Total number of states INCLUDING the FAIL state (at least 2).
    n_actions : int or sequence of int
        Per-player action counts (an int gives every one of ``n_players`` players that many).
    horizon : int, optional
        Finite horizon ``H``; exactly one of ``horizon`` and ``gamma``.
    gamma : float, optional
        Discount factor for a discounted game.
    n_players : int, optional
        Number of players when ``n_actions`` is an int (default 2).
    fail_prob : float, default 0.1
        Nominal probability of moving to FAIL from every regular ``(s, a)``, in ``(0, 1]``.
    support : int, optional
        Support size of the regular part of each row (at most ``n_states - 1``).
    rng : None, int or numpy.random.Generator
        Passed through :func:`numpy.random.default_rng`.
    name : str, optional
        Default ``"fail_state"``.
    """
    S = check_positive_int(n_states, "n_states", minimum=2)
    f = check_radius(fail_prob, "fail_prob", upper=1.0)
    if f == 0.0:
        raise ValueError("fail_prob must be positive (FAIL must be reachable from every (s, a))")
    base = random_game(
        S - 1, n_actions, horizon, gamma=gamma, n_players=n_players, support=support, rng=rng
    )
    P0, R0 = base.transitions, base.rewards
    lead = 1 if base.discounted else 2  # state axis position + 1
    n = base.n_players
    acts = base.n_actions
    front = P0.shape[: lead - 1]  # () or (H,)
    P = np.zeros(front + (S,) + acts + (S,))
    R = np.zeros(front + (S,) + acts + (n,))
    regular = (slice(None),) * (lead - 1) + (slice(0, S - 1),)
    P[regular + (Ellipsis, slice(0, S - 1))] = (1.0 - f) * P0
    P[regular + (Ellipsis, S - 1)] = f
    P[(slice(None),) * (lead - 1) + (S - 1, Ellipsis, S - 1)] = 1.0
    R[regular] = R0
    return MarkovGame(P, R, gamma=gamma, name=name or "fail_state")


def support_shift_game(
    horizon: int | None = None,
    *,
    variant: int = 0,
    n_actions=(2, 1),
    gamma: float | None = None,
    name: str | None = None,
) -> MarkovGame:
    """The support-shift construction: two variants a nominal-only learner cannot tell apart.

    Two states, team rewards (every player receives the same reward, in ``[0, 1]``):

    * ``GOOD = 0`` (the start): reward 1 for every joint action; the nominal kernel
      stays in GOOD with probability 1 whatever the players do.
    * ``HIDDEN = 1``: the nominal kernel gives it ZERO mass from every state and step,
      so no nominal episode ever visits it, but a TV ball of radius ``sigma`` around
      ``delta_GOOD`` contains ``(1 - sigma) delta_GOOD + sigma delta_HIDDEN``: an
      adversary can shift support there. At HIDDEN the joint action with flat index
      ``c = variant`` (C order, :func:`~robustgames.games.joint_index`) gives reward 1
      and returns to GOOD; every other joint action gives reward 0 and stays in HIDDEN.

    Variants differ ONLY in ``c``, i.e. in the rewards and kernel at HIDDEN, so the two
    games generate identical nominal trajectories under any policy. Their robust-optimal
    decisions at HIDDEN differ (joint action ``c``), and a policy wrong at HIDDEN is
    punished through the robust value at the start: with ``V_{H+1} = 0`` and the TV
    worst case sending ``sigma`` mass to HIDDEN each step, a policy that never plays
    ``c`` at HIDDEN has robust value ``sum_{t<H} (1 - sigma)^t = (1 - (1-sigma)^H)/sigma``
    at GOOD, whereas the robust optimum is ``H``. A learner that only sees nominal
    episodes must use the same (data-dependent) policy at HIDDEN in both variants, so it
    pays a per-episode robust gap bounded away from 0 (for ``H >= 2``, ``sigma > 0``) on
    at least one of them: regret linear in ``K``. This is the mechanism of the lower
    bound ``Omega(sigma K min(H, prod A_i))`` for TV with support shift (THEORY.md
    section 4; MORNAVI arXiv 2508.02948, Lu et al. arXiv 2404.03578); guessing ``c``
    among ``prod A_i`` joint actions is where ``prod A_i`` enters. The constants of the
    papers' construction are not reproduced; this is the simplest instance of it.

    Note: under an (s,a)-rectangular TV ball a state that no nominal row reaches enters
    the robust Bellman backup only through the common term ``sigma * min_s V(s)``, the
    same for every ``(s, a)`` at a step. Hence the robust-optimal action at a
    nominally reachable state (e.g. at GOOD) can NEVER depend on what happens at such a
    hidden state; the variants differ in the decision at HIDDEN, which the robust value
    at the start depends on.

    Parameters
    ----------
    horizon : int, optional
        Finite horizon ``H`` (the regret gap needs ``H >= 2``); exactly one of
        ``horizon`` and ``gamma``.
    variant : int, default 0
        The rewarded joint action at HIDDEN, in ``[0, prod A_i)``; the two canonical
        variants are 0 and 1.
    n_actions : sequence of int, default (2, 1)
        Per-player action counts (default: two players, the second with one dummy
        action); ``prod A_i >= 2`` is needed for two variants.
    gamma : float, optional
        Discount factor for a discounted (stationary) game.
    name : str, optional
        Default ``"support_shift_<variant>"``.
    """
    if np.ndim(n_actions) == 0:
        raise TypeError("n_actions must be a sequence of per-player action counts, e.g. (2, 1)")
    acts = tuple(check_positive_int(a, f"n_actions[{i}]") for i, a in enumerate(n_actions))
    if len(acts) == 0:
        raise ValueError("n_actions must list at least one player")
    n_joint = int(np.prod(acts))
    if n_joint < 2:
        raise ValueError(f"n_actions must allow at least 2 joint actions, got {acts}")
    if isinstance(variant, bool) or not isinstance(variant, numbers.Integral):
        raise TypeError(f"variant must be an integer, got {type(variant).__name__}")
    if not 0 <= variant < n_joint:
        raise ValueError(f"variant must lie in [0, {n_joint}) (a flat joint action), got {variant}")
    if (horizon is None) == (gamma is None):
        raise ValueError("give exactly one of horizon (finite-horizon game) and gamma (discounted game)")
    n = len(acts)
    GOOD, HIDDEN = 0, 1
    P = np.zeros((2, n_joint, 2))
    R = np.zeros((2, n_joint))
    P[GOOD, :, GOOD] = 1.0
    R[GOOD, :] = 1.0
    P[HIDDEN, :, HIDDEN] = 1.0
    P[HIDDEN, variant] = (1.0, 0.0)
    R[HIDDEN, variant] = 1.0
    P = P.reshape((2,) + acts + (2,))
    rewards = np.repeat(R.reshape((2,) + acts)[..., None], n, axis=-1)
    name = name or f"support_shift_{variant}"
    if gamma is not None:
        return MarkovGame(P, rewards, gamma=gamma, name=name)
    H = check_positive_int(horizon, "horizon")
    P_h = np.ascontiguousarray(np.broadcast_to(P, (H,) + P.shape))
    R_h = np.ascontiguousarray(np.broadcast_to(rewards, (H,) + rewards.shape))
    return MarkovGame(P_h, R_h, name=name)


def game_catalog() -> dict:
    """Small default instances: name -> zero-argument factory returning a fresh game.

    Matrix games (one state, ``H = 1``, scaled to ``[0, 1]``), a random game
    (``S = 4``, 2x2 actions, ``H = 3``, seed 0), a fail-state game (``S = 5``, 2x2,
    ``H = 4``, seed 0), both support-shift variants (``H = 5``) and the intersection
    game with each team matrix. Every game is finite-horizon with rewards in ``[0, 1]``;
    the random instances are seeded, so each factory is deterministic.

    Examples
    --------
    >>> games = {name: make() for name, make in game_catalog().items()}
    >>> games["stag_hunt"].n_actions
    (2, 2)
    """
    return {
        "matching_pennies": matching_pennies,
        "rock_paper_scissors": rock_paper_scissors,
        "prisoners_dilemma": prisoners_dilemma,
        "stag_hunt": stag_hunt,
        "climbing_game": climbing_game,
        "penalty_game": penalty_game,
        "random": lambda: random_game(4, 2, 3, rng=0, name="random"),
        "fail_state": lambda: fail_state_game(5, 2, 4, rng=0),
        "support_shift_0": lambda: support_shift_game(5, variant=0),
        "support_shift_1": lambda: support_shift_game(5, variant=1),
        "intersection_climbing": lambda: intersection_game(payoff="climbing"),
        "intersection_penalty": lambda: intersection_game(payoff="penalty"),
    }
