"""Benchmark games for the regret experiments of MORNAVI (docs/theory.md section 4).

* :func:`fail_state_game`: a random game plus an absorbing, zero-reward FAIL state that
  every ``(h, s, a)`` reaches with positive nominal probability. Then ``min_s V_h(s) = 0``
  for every value function of the game (nominal or robust, any policy), the regime in
  which the TV regret bound ``O~(sqrt(min(1/sigma, H) H^2 S K prod A_i))`` holds (Lu et
  al., arXiv 2404.03578, "fail state" assumption; MORNAVI, arXiv 2508.02948).
* :func:`support_shift_game`: the support-shift construction behind the linear lower
  bound ``Omega(sigma K min(H, prod A_i))`` for online learning with TV sets: a HIDDEN
  state that the nominal kernel never reaches but a TV adversary does. Two variants are
  identical wherever the nominal game goes and differ only at the hidden state.
* :func:`hidden_action_game`: the hard-instance family of the ``Omega(sqrt(K prod A_i))``
  lower bound: a team game in which one joint action, drawn uniformly, is better by
  ``eps``; the instance is unknown to the learner (it is drawn from the prior).
* :func:`mixed_fail_state_game`: a two-player constant-sum game with a fail state whose
  robust equilibrium is mixed (fully supported), so a learner's policy is never exactly
  an equilibrium and its gap shrinks only with the estimation error.
* :func:`game_catalog`: name -> zero-argument factory of small default instances.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import check_in_range, check_positive_int, check_radius
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

__all__ = ["fail_state_game", "support_shift_game", "hidden_action_game", "mixed_fail_state_game",
           "game_catalog"]


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
    * ``HIDDEN = 1``: the nominal kernel gives it zero mass from GOOD at every step, so
      no nominal episode (which starts at GOOD) ever visits it, but a TV ball of radius ``sigma`` around
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
    bound ``Omega(sigma K min(H, prod A_i))`` for TV with support shift (docs/theory.md
    section 4; MORNAVI arXiv 2508.02948, Lu et al. arXiv 2404.03578); guessing ``c``
    among ``prod A_i`` joint actions is where ``prod A_i`` enters. The constants of the
    papers' construction are not reproduced; this is the simplest instance of it.

    Note: under an (s,a)-rectangular TV ball a state that no nominal row from a reachable
    state reaches enters
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


def _two_step_game(first, rewards_next, n_actions, name):
    """``H = 2`` game from ``START = 0``: ``first (A_1..A_n, S)`` is the kernel at
    ``h = 0`` from START; at ``h = 1`` state ``s`` pays ``rewards_next[s] (n,)`` for every
    joint action; every state other than START is absorbing and START at ``h = 1``
    (never reached) moves to the last state."""
    S, n = rewards_next.shape
    acts = tuple(n_actions)
    P = np.zeros((2, S) + acts + (S,))
    R = np.zeros((2, S) + acts + (n,))
    P[0, 0] = first
    for s in range(1, S):
        P[:, s, ..., s] = 1.0
    P[1, 0, ..., S - 1] = 1.0
    R[1] = rewards_next.reshape((S,) + (1,) * len(acts) + (n,))
    return MarkovGame(P, R, name=name)


def hidden_action_game(n_actions=(2, 2), eps: float = 0.2, *, good=None, rng=None,
                       name: str | None = None) -> MarkovGame:
    """A team game in which one hidden joint action is better by ``eps`` (lower-bound family).

    States ``START = 0``, ``GOOD = 1``, ``FAIL = 2``; horizon ``H = 2``; every player gets
    the same reward. At ``h = 0`` the joint action ``a`` taken at START moves to GOOD with
    probability ``p(a) = 1/2 + eps [a = a*]`` and to FAIL otherwise; at ``h = 1`` GOOD pays
    1 and FAIL (absorbing, the fail state) pays 0. The good joint action ``a*`` is
    ``good`` if given, else drawn uniformly from the ``prod A_i`` joint actions with
    ``rng``: a learner facing an instance drawn from this prior must find a Bernoulli arm
    of mean ``1/2 + eps`` among ``prod A_i`` arms of mean ``1/2``, the construction behind
    the ``Omega(sqrt(K prod A_i))`` regret lower bound without support shift (docs/theory.md
    section 4; the bound takes ``eps ~ sqrt(prod A_i / K)``; at a fixed ``eps`` the
    achievable regret is gap-dependent, of order ``prod A_i log(K) / eps``).

    Exact robust values: under a TV ball of radius ``sigma <= 1/2`` the adversary moves
    ``sigma`` of mass from GOOD to FAIL, so the robust value of a joint action is
    ``p(a) - sigma``; differences between joint actions are those of the nominal game.
    A policy that plays every player's actions uniformly and independently has robust
    CCE (and Nash) gap ``eps (max_i A_i - 1) / prod_i A_i`` in every episode, whatever
    ``a*`` is: the player with the most actions gains ``eps / prod_{j != i} A_j -
    eps / prod_j A_j`` by always playing its part of ``a*``. Uniform play therefore has
    regret linear in ``K``. (A joint action that differs from ``a*`` in at least two
    players' actions is also an equilibrium, with gap 0: team games have bad equilibria.)

    Parameters
    ----------
    n_actions : sequence of int, default (2, 2)
        Per-player action counts (at least 2 joint actions).
    eps : float, default 0.2
        Advantage of the good joint action, in ``(0, 1/2]``.
    good : sequence of int, optional
        The good joint action ``a*`` (per-player actions); default: drawn from ``rng``.
    rng : None, int or numpy.random.Generator
        Draws ``a*`` when ``good`` is None (through :func:`numpy.random.default_rng`).
    name : str, optional
        Default ``"hidden action (eps=..., a*=...)"``.
    """
    if np.ndim(n_actions) == 0:
        raise TypeError("n_actions must be a sequence of per-player action counts, e.g. (2, 2)")
    acts = tuple(check_positive_int(a, f"n_actions[{i}]") for i, a in enumerate(n_actions))
    if len(acts) == 0 or int(np.prod(acts)) < 2:
        raise ValueError(f"n_actions must allow at least 2 joint actions, got {acts}")
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not 0.0 < float(eps) <= 0.5:
        raise ValueError(f"eps must be a real number in (0, 1/2], got {eps!r}")
    eps = float(eps)
    if good is None:
        flat = int(np.random.default_rng(rng).integers(int(np.prod(acts))))
        good = tuple(int(a) for a in np.unravel_index(flat, acts))
    else:
        if np.ndim(good) != 1 or len(good) != len(acts):
            raise ValueError(f"good must list one action per player ({len(acts)}), got {good!r}")
        good = tuple(int(g) for g in good)
        for i, (g, m) in enumerate(zip(good, acts)):
            if not 0 <= g < m:
                raise ValueError(f"good[{i}]={g} is out of range for player {i} with {m} actions")
    n = len(acts)
    p = np.full(acts, 0.5)
    p[good] += eps
    first = np.zeros(acts + (3,))
    first[..., 1] = p
    first[..., 2] = 1.0 - p
    rewards_next = np.zeros((3, n))
    rewards_next[1] = 1.0
    return _two_step_game(first, rewards_next, acts,
                          name or f"hidden action (eps={eps:g}, a*={good})")


MIXED_DEFAULT = ((0.8, 0.3), (0.4, 0.6))


def mixed_fail_state_game(win=MIXED_DEFAULT, fail_prob: float = 0.1, *, name: str | None = None) -> MarkovGame:
    """Two-player constant-sum game with a fail state and a mixed robust equilibrium.

    States ``START = 0``, ``WIN_1 = 1``, ``WIN_2 = 2``, ``FAIL = 3``; horizon ``H = 2``. At
    ``h = 0`` the joint action ``a`` at START moves to WIN_1 with probability
    ``(1 - f) m(a)``, to WIN_2 with probability ``(1 - f)(1 - m(a))`` and to FAIL with
    probability ``f = fail_prob``, where ``m = win`` (an ``A_1 x A_2`` matrix in [0, 1]).
    At ``h = 1`` WIN_1 pays ``(1, 0)``, WIN_2 pays ``(0, 1)``, FAIL pays ``(0, 0)``; all
    three are absorbing. Rewards sum to 1 on the regular states (constant-sum) and FAIL
    has value 0 for both players, the fail-state condition of the TV regret bound.

    Exact robust values: under TV balls of radius ``sigma <= (1 - f) min_a min(m(a),
    1 - m(a))`` each player's adversary moves ``sigma`` of mass from that player's WIN
    state to FAIL, so the robust values of a joint action are ``(1 - f) m(a) - sigma``
    and ``(1 - f)(1 - m(a)) - sigma``: the robust game is a constant-sum game with the
    equilibria of the matrix game ``m``. The default
    ``m = [[0.8, 0.3], [0.4, 0.6]]`` has no saddle point (max-min 0.4 < min-max 0.6); its
    unique equilibrium is mixed, player 1 plays action 0 with probability
    ``(m_11 - m_10) / (m_00 - m_01 - m_10 + m_11) = 2/7`` and player 2 plays action 0
    with probability ``(m_11 - m_01) / (m_00 - m_01 - m_10 + m_11) = 3/7``. An estimated
    kernel moves these probabilities continuously, so a learner's policy is never exactly
    the equilibrium and its gap shrinks like the estimation error (the regime in which
    regret grows like ``sqrt(K)`` on a fixed game); uniform play is not an equilibrium,
    so its gap is a positive constant.

    Parameters
    ----------
    win : array_like, shape (A_1, A_2)
        ``m(a)``: probability that player 1 wins given that the game does not fail.
    fail_prob : float, default 0.1
        ``f`` in ``(0, 1)``.
    name : str, optional
    """
    m = np.asarray(win, dtype=float)
    if m.ndim != 2 or min(m.shape) < 1:
        raise ValueError(f"win must be a 2-d matrix (A_1 x A_2), got shape {m.shape}")
    check_in_range(m, "win", 0.0, 1.0, why="it is a probability")
    f = check_radius(fail_prob, "fail_prob", upper=1.0)
    if not 0.0 < f < 1.0:
        raise ValueError(f"fail_prob must lie in (0, 1), got {f}")
    first = np.zeros(m.shape + (4,))
    first[..., 1] = (1.0 - f) * m
    first[..., 2] = (1.0 - f) * (1.0 - m)
    first[..., 3] = f
    rewards_next = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    return _two_step_game(first, rewards_next, m.shape, name or "mixed fail-state game")


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
