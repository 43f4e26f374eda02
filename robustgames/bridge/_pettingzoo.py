"""Export a Markov game as a PettingZoo environment, with a choice of nature.

:func:`to_pettingzoo` returns a ``pettingzoo.ParallelEnv`` (or, with ``api="aec"``, the
AEC environment made by PettingZoo's own ``parallel_to_aec``). ``pettingzoo`` and
``gymnasium`` are the optional extra ``robustgames[pettingzoo]``; the core never imports
them (they are imported when this function is called).

Environment
-----------
* agents ``"player_0" .. "player_{n-1}"``; action spaces ``Discrete(A_i)``;
* observations (every agent sees the full state; see
  :mod:`robustgames.bridge._observations`): ``"one_hot"`` ``Box(0, 1, (S,))`` or, for
  finite horizon, ``Box(0, 1, (S + H + 1,))`` with the step one-hot; ``"index"``
  ``Discrete(S)`` or ``MultiDiscrete([H + 1, S])`` for ``[h, s]``. ``state()`` returns
  the same encoding of the current state (for centralised training);
* rewards ``r_{i,h}(s, a)`` of the game for the joint action ``a``; next state drawn from
  the episode's kernel ``P_h(. | s, a)`` (see *nature*);
* episode end: finite horizon, all agents are *truncated* after ``H`` steps.
  Discounted, ``episode="geometric"`` (default): after every step the episode
  *terminates* with probability ``1 - gamma``, so the undiscounted episode return is an
  unbiased estimate of the discounted value ``sum_t gamma^t r_t`` (learners should then
  not discount again); ``episode="truncate"``: all agents are truncated after
  ``max_steps`` steps (default ``ceil(log(1e-3) / log(gamma))``, where the discount
  weight left is below 1e-3) and the learner discounts with ``gamma``
  (``env.gamma``). ``max_steps`` also caps geometric episodes if given;
* randomness only from ``numpy.random.default_rng(seed)`` set by ``reset(seed=...)``
  (initial state, next states, geometric termination, sampled kernels).

Nature (the kernel the environment samples from)
------------------------------------------------
* ``"nominal"``: ``P0 = game.transitions``;
* an array of ``game.transitions``' shape: that fixed kernel (validated like a game's
  kernel), e.g. an out-of-distribution test kernel;
* ``"sampled"``: a new kernel from the uncertainty set ``U`` at every ``reset``: per step
  ``h`` a value vector ``v ~ Uniform[0, 1]^S`` is drawn, ``W_h = U.worst_distribution(P0_h,
  v)`` (in the set) and every row ``(h, s, a)`` mixes ``P = (1 - t) P0 + t W`` with its own
  ``t ~ Uniform[0, 1]``. Every set here is convex and contains ``P0``, so ``P`` lies in
  the set (tested). For a :class:`~robustgames.uncertainty.Group` hull (which need not
  contain ``P0``) each row is a ``Dirichlet(1, ..., 1)`` mixture of its vertices;
* ``"worst"``: the exact worst case the ground truth assumes for the joint policy
  ``policy``: ``P_h(.|s,a) = argmin_{p in U_i(P0_h(.|s,a))} p . V^pi_{i,h+1}`` for player
  ``i = player`` (with ``V^pi_i`` the robust value of ``pi``). Under this fixed kernel
  the expected return of ``pi`` for player ``i`` equals its robust value (the kernel
  attains the infimum in every robust Bellman equation of ``pi``). For a team game
  (identical rewards and sets) all players share it and ``player`` defaults to 0; for a
  general-sum game ``player`` must be named.
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_choice, check_positive_int
from ..games import MarkovGame
from ..planning._backup import player_sets
from ..planning._evaluate import _evaluate
from ..planning._policy import as_joint_policy
from ..uncertainty import Group
from ._assess import is_team_game, policy_from_callable
from ._observations import OBSERVATIONS, encode, observation_size

__all__ = ["to_pettingzoo", "nature_kernel", "sample_kernel"]

NATURES = ("nominal", "sampled", "worst")
EPISODES = ("geometric", "truncate")


def _import_pettingzoo():
    try:
        import gymnasium
        import pettingzoo
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "to_pettingzoo needs the optional extra 'pettingzoo' (pettingzoo and gymnasium): "
            "pip install 'robustgames[pettingzoo]'"
        ) from exc
    return pettingzoo, gymnasium


# -- kernels ----------------------------------------------------------------------------
def _steps(game):
    return [None] if game.discounted else list(range(game.horizon))


def _rows(game, h):
    P = game.flat_transitions if h is None else game.flat_transitions[h]
    return P.reshape(-1, game.n_states)


def _player(game, sets, player, what):
    if player is None:
        if game.n_players == 1 or is_team_game(game, sets):
            return 0
        raise ValueError(f"nature={what!r} in a general-sum game needs player= (whose worst case)")
    if isinstance(player, bool) or not isinstance(player, (int, np.integer)) or not 0 <= player < game.n_players:
        raise ValueError(f"player must be an integer in [0, {game.n_players}), got {player!r}")
    return int(player)


def sample_kernel(game: MarkovGame, U, rng, *, player=None) -> np.ndarray:
    """A kernel drawn from the uncertainty set (the ``"sampled"`` nature; see module doc).

    Returns
    -------
    ndarray
        Flat kernel ``(H, S, A, S)`` or ``(S, A, S)`` (``A`` joint actions); every row lies
        in ``U_i(P0_h(.|s,a))``.
    """
    sets = player_sets(game, U)
    if player is not None or any(s is not sets[0] and s != sets[0] for s in sets):
        if player is None:
            raise ValueError("U lists different sets: name the player whose set to sample from (player=)")
        i = _player(game, sets, player, "sampled")
    else:
        i = 0
    rng = np.random.default_rng(rng)
    S = game.n_states
    out = np.empty(game.flat_transitions.shape)
    for h in _steps(game):
        P0 = _rows(game, h)
        Ui = sets[i] if h is None else sets[i].at_step(h)
        if isinstance(Ui, Group):
            D = Ui.distributions.reshape(Ui.n_groups, -1, S)
            w = rng.dirichlet(np.ones(Ui.n_groups), size=P0.shape[0])       # (rows, m)
            K = np.einsum("rg,grs->rs", w, np.broadcast_to(D, (Ui.n_groups, P0.shape[0], S)))
        else:
            v = rng.random(S)
            W = Ui.worst_distribution(P0, v)
            t = rng.random(P0.shape[0])[:, None]
            K = (1.0 - t) * P0 + t * W
        K = np.clip(K, 0.0, None)
        K /= K.sum(axis=1, keepdims=True)
        if h is None:
            out[...] = K.reshape(out.shape)
        else:
            out[h] = K.reshape(out.shape[1:])
    return out


def nature_kernel(game: MarkovGame, U, policy, *, player=None, observation: str = "one_hot") -> np.ndarray:
    """The exact worst-case kernel for ``policy`` (the ``"worst"`` nature; see module doc).

    Returns
    -------
    ndarray
        Flat kernel ``(H, S, A, S)`` or ``(S, A, S)``:
        ``P_h(.|s,a) = U_i.worst_distribution(P0_h(.|s,a), V^pi_{i,h+1})``.
    """
    sets = player_sets(game, U)
    i = _player(game, sets, player, "worst")
    if callable(policy) or (isinstance(policy, (list, tuple)) and policy and all(callable(p) for p in policy)):
        policy = policy_from_callable(game, policy, joint=callable(policy) and game.n_players > 1,
                                      observation=observation)
    pi = as_joint_policy(game, policy)
    V = _evaluate(game, sets, pi, tol=1e-12)
    out = np.empty(game.flat_transitions.shape)
    for h in _steps(game):
        P0 = _rows(game, h)
        if h is None:
            out[...] = sets[i].worst_distribution(P0, V[:, i]).reshape(out.shape)
        else:
            out[h] = sets[i].at_step(h).worst_distribution(P0, V[h + 1, :, i]).reshape(out.shape[1:])
    return out


# -- environment ------------------------------------------------------------------------
def _sample_index(cdf_row: np.ndarray, u: float) -> int:
    """Inverse-CDF draw (``u`` in [0, 1)); robust to a last cumulative sum of 1 - 1e-16."""
    k = int(np.searchsorted(cdf_row, u * cdf_row[-1], side="right"))
    return min(k, cdf_row.shape[0] - 1)


_ENV_CLASS = None


def _env_class():
    global _ENV_CLASS
    if _ENV_CLASS is not None:
        return _ENV_CLASS
    pettingzoo, gymnasium = _import_pettingzoo()
    spaces = gymnasium.spaces

    class RobustGameEnv(pettingzoo.ParallelEnv):
        """A :class:`~robustgames.MarkovGame` as a PettingZoo ``ParallelEnv`` (see
        :func:`robustgames.bridge.to_pettingzoo`)."""

        metadata = {"name": "robustgames_v0", "render_modes": ["ansi"], "is_parallelizable": True}

        def __init__(self, game, make_kernel, observation, episode, max_steps, render_mode):
            self.game = game
            self._make_kernel = make_kernel
            self._observation = observation
            self._episode = episode
            self.max_steps = max_steps
            self.render_mode = render_mode
            self.gamma = game.gamma
            n = game.n_players
            self.possible_agents = [f"player_{i}" for i in range(n)]
            self.agents = []
            S = game.n_states
            if observation == "one_hot":
                space = lambda: spaces.Box(0.0, 1.0, shape=(observation_size(game, observation),),  # noqa: E731
                                           dtype=np.float32)
            elif game.discounted:
                space = lambda: spaces.Discrete(S)  # noqa: E731
            else:
                space = lambda: spaces.MultiDiscrete([game.horizon + 1, S])  # noqa: E731
            self.observation_spaces = {a: space() for a in self.possible_agents}
            self.action_spaces = {a: spaces.Discrete(m) for a, m in zip(self.possible_agents, game.n_actions)}
            self.state_space = space()
            self._R = game.flat_rewards
            self._cdf_init = np.cumsum(game.initial)
            self._rng = np.random.default_rng()
            self.kernel = None
            self._cdf = None
            self._h = 0
            self._s = 0

        def observation_space(self, agent):
            return self.observation_spaces[agent]

        def action_space(self, agent):
            return self.action_spaces[agent]

        def _obs(self):
            return encode(self.game, self._observation, self._h, self._s)

        def state(self):
            return self._obs()

        def reset(self, seed=None, options=None):
            if seed is not None:
                self._rng = np.random.default_rng(seed)
            self.kernel = self._make_kernel(self._rng)
            self._cdf = np.cumsum(self.kernel, axis=-1)
            self.agents = list(self.possible_agents)
            self._h = 0
            self._s = _sample_index(self._cdf_init, self._rng.random())
            o = self._obs()
            return ({a: o.copy() for a in self.agents},
                    {a: {"step": 0, "state": self._s} for a in self.agents})

        def step(self, actions):
            if not self.agents:
                raise RuntimeError("the episode is over: call reset() before step()")
            try:
                joint = tuple(int(actions[a]) for a in self.agents)
            except KeyError as exc:
                raise ValueError(f"actions must give an action for every live agent; missing {exc}") from None
            for a, m, name in zip(joint, self.game.n_actions, self.agents):
                if not 0 <= a < m:
                    raise ValueError(f"actions[{name!r}]={a} is out of range for {m} actions")
            j = int(np.ravel_multi_index(joint, self.game.n_actions))
            g = self.game
            if g.discounted:
                r = self._R[self._s, j]
                cdf = self._cdf[self._s, j]
            else:
                r = self._R[self._h, self._s, j]
                cdf = self._cdf[self._h, self._s, j]
            self._s = _sample_index(cdf, self._rng.random())
            self._h += 1
            terminated = truncated = False
            if not g.discounted:
                truncated = self._h >= g.horizon
            else:
                if self._episode == "geometric":
                    terminated = self._rng.random() >= g.gamma
                if self.max_steps is not None and self._h >= self.max_steps and not terminated:
                    truncated = True
            o = self._obs()
            agents = self.agents
            obs = {a: o.copy() for a in agents}
            rewards = {a: float(r[i]) for i, a in enumerate(agents)}
            terms = {a: bool(terminated) for a in agents}
            truncs = {a: bool(truncated) for a in agents}
            infos = {a: {"step": self._h, "state": self._s} for a in agents}
            if terminated or truncated:
                self.agents = []
            return obs, rewards, terms, truncs, infos

        def render(self):
            if self.render_mode is None:
                return None
            where = "" if self.game.discounted else f"step {self._h}, "
            return f"{where}state {self._s}"

        def close(self):
            pass

    _ENV_CLASS = RobustGameEnv
    return RobustGameEnv


def to_pettingzoo(game: MarkovGame, nature="nominal", U=None, policy=None, *, player=None,
                  observation: str = "one_hot", episode: str = "geometric", max_steps=None,
                  api: str = "parallel", render_mode=None):
    """Export ``game`` as a PettingZoo environment (see the module docstring).

    Parameters
    ----------
    game : MarkovGame
    nature : {"nominal", "sampled", "worst"} or array_like
        Which kernel the environment samples from: ``P0``, a kernel drawn from ``U`` at
        every reset, the exact worst case of ``policy`` (for ``player``), or a fixed
        kernel of shape ``game.transitions.shape``.
    U : UncertaintySet or list of UncertaintySet
        Required for ``"sampled"`` and ``"worst"``.
    policy : array_like, list of array_like, or callables
        Joint policy (as :func:`robustgames.evaluate`, or callables as
        :func:`robustgames.bridge.policy_from_callable` with ``observation``); required for
        ``"worst"``.
    player : int, optional
        Whose worst case (``"worst"``) or whose set (``"sampled"`` with per-player sets);
        defaults to 0 in a team game.
    observation : {"one_hot", "index"}
    episode : {"geometric", "truncate"}
        Discounted games only: termination with probability ``1 - gamma`` per step, or
        truncation after ``max_steps``.
    max_steps : int, optional
        Discounted games: episode cap (default for ``"truncate"``:
        ``ceil(log(1e-3) / log(gamma))``, at least 1; none for ``"geometric"``).
    api : {"parallel", "aec"}
        ``"aec"`` wraps the parallel environment with ``pettingzoo.utils.parallel_to_aec``.
    render_mode : {None, "ansi"}

    Returns
    -------
    pettingzoo.ParallelEnv or pettingzoo.AECEnv

    Raises
    ------
    ImportError
        Without the optional extra ``pettingzoo`` (``pip install 'robustgames[pettingzoo]'``).
    """
    if not isinstance(game, MarkovGame):
        raise TypeError(f"game must be a MarkovGame, got {type(game).__name__}")
    check_choice(observation, "observation", OBSERVATIONS)
    check_choice(episode, "episode", EPISODES)
    check_choice(api, "api", ("parallel", "aec"))
    if render_mode not in (None, "ansi"):
        raise ValueError(f"unknown render_mode {render_mode!r}; choose None or 'ansi'")
    if max_steps is not None:
        max_steps = check_positive_int(max_steps, "max_steps")
    if game.discounted and episode == "truncate" and max_steps is None:
        max_steps = 1 if game.gamma == 0 else max(1, math.ceil(math.log(1e-3) / math.log(game.gamma)))
    if isinstance(nature, str):
        check_choice(nature, "nature", NATURES)
        if nature != "nominal" and U is None:
            raise ValueError(f"nature={nature!r} needs an uncertainty set U")
        if nature == "worst" and policy is None:
            raise ValueError("nature='worst' needs the joint policy whose worst case to play (policy=)")
        if nature != "worst" and policy is not None:
            raise ValueError("policy is only used by nature='worst'")
        if nature == "nominal":
            fixed = game.flat_transitions
        elif nature == "worst":
            fixed = nature_kernel(game, U, policy, player=player, observation=observation)
        else:
            fixed = None
            player_sets(game, U)
            sampled_player = player

            def make_kernel(rng):
                return sample_kernel(game, U, rng, player=sampled_player)
    else:
        if U is not None or policy is not None:
            raise ValueError("U and policy are not used with a fixed kernel as nature")
        try:
            kernel_game = game.with_transitions(nature)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"nature (a fixed kernel): {exc}") from None
        if kernel_game.transitions.shape != game.transitions.shape:
            raise ValueError(f"nature (a fixed kernel) must have shape {game.transitions.shape}, "
                             f"got {kernel_game.transitions.shape}")
        fixed = kernel_game.flat_transitions
    if fixed is not None:
        fixed = np.array(fixed)
        fixed.setflags(write=False)

        def make_kernel(rng):
            return fixed
    env = _env_class()(game, make_kernel, observation, episode, max_steps, render_mode)
    if api == "aec":
        from pettingzoo.utils.conversions import parallel_to_aec
        return parallel_to_aec(env)
    return env
