"""The tabular Markov game model.

A game with ``n`` players, ``S`` states and per-player action counts ``A_1..A_n``:

* finite horizon (``gamma is None``): time-indexed kernels ``P_h(s' | s, a)`` with
  ``transitions`` of shape ``(H, S, A_1, ..., A_n, S)`` and rewards ``r_{i,h}(s, a)`` with
  ``rewards`` of shape ``(H, S, A_1, ..., A_n, n)``;
* discounted (``gamma`` in ``[0, 1)``): a stationary kernel of shape ``(S, A_1..A_n, S)``
  and rewards of shape ``(S, A_1..A_n, n)``.

Rewards carry the player on the LAST axis. ``initial`` is the start distribution
(default: all mass on state 0). Conventions follow docs/theory.md section 1 (MORNAVI,
arXiv 2508.02948; DR-NVI, arXiv 2404.18909).
"""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import as_float_array, check_distributions


class MarkovGame:
    """A finite-horizon or discounted ``n``-player tabular Markov game.

    Parameters
    ----------
    transitions : array_like
        ``(H, S, A_1, ..., A_n, S)`` (finite horizon) or ``(S, A_1, ..., A_n, S)``
        (discounted); every row along the last axis is a distribution (sums to 1
        within 1e-8, non-negative).
    rewards : array_like
        ``(H, S, A_1, ..., A_n, n)`` or ``(S, A_1, ..., A_n, n)``: player ``i``'s reward is
        ``rewards[..., i]``. The number of players ``n`` is read from the last axis.
    gamma : float or None
        ``None`` for a finite-horizon game, else the discount factor in ``[0, 1)``.
    initial : array_like, optional
        Start distribution ``(S,)``; default all mass on state 0.
    name : str, optional
        A label used in reprs and experiment records.

    Raises
    ------
    ValueError, TypeError
        Naming the argument: shape mismatch, rows not summing to one (with the first
        offending index), negative/NaN/inf entries, ``gamma`` outside ``[0, 1)``, an
        ``initial`` that is not a distribution.

    Examples
    --------
    >>> import numpy as np, robustgames as rg
    >>> P = np.full((2, 1, 2, 2, 1), 1.0)          # H=2, one state, 2x2 actions
    >>> R = np.zeros((2, 1, 2, 2, 2))
    >>> g = rg.MarkovGame(P, R)
    >>> g.n_players, g.n_actions, g.horizon
    (2, (2, 2), 2)
    """

    def __init__(self, transitions, rewards, gamma=None, initial=None, name: str | None = None):
        P = as_float_array(transitions, "transitions", min_ndim=3, finite=False)
        R = as_float_array(rewards, "rewards", min_ndim=3)
        if gamma is None:
            lead = 2  # (H, S)
        else:
            if isinstance(gamma, bool) or not isinstance(gamma, numbers.Real):
                raise TypeError(f"gamma must be a real number or None, got {type(gamma).__name__}")
            gamma = float(gamma)
            if not (0.0 <= gamma < 1.0):
                raise ValueError(f"gamma must lie in [0, 1), got {gamma}")
            lead = 1  # (S,)
        n = R.shape[-1]
        if n < 1:
            raise ValueError(f"rewards must have at least one player on its last axis, got shape {R.shape}")
        expected_ndim = lead + n + 1
        if P.ndim != expected_ndim:
            kind = "finite-horizon (H, S, A_1..A_n, S)" if gamma is None else "discounted (S, A_1..A_n, S)"
            raise ValueError(
                f"transitions must be {kind} with n={n} players (read from rewards' last axis), "
                f"i.e. {expected_ndim} dimensions; got shape {P.shape}"
            )
        if R.ndim != expected_ndim:
            raise ValueError(f"rewards must have {expected_ndim} dimensions for n={n} players, got shape {R.shape}")
        S = P.shape[lead - 1]
        if P.shape[-1] != S:
            raise ValueError(
                f"transitions' last axis (next state) has {P.shape[-1]} entries but there are {S} states"
            )
        if R.shape[:-1] != P.shape[:-1]:
            raise ValueError(
                f"rewards shape {R.shape} does not match transitions shape {P.shape}: "
                f"expected {P.shape[:-1] + (n,)}"
            )
        if any(a < 1 for a in P.shape[:-1]) or S < 1:
            raise ValueError(f"every axis (horizon, states, actions) must be non-empty, got transitions shape {P.shape}")
        check_distributions(P, "transitions")
        if initial is None:
            mu = np.zeros(S)
            mu[0] = 1.0
        else:
            mu = as_float_array(initial, "initial", ndim=1)
            if mu.shape != (S,):
                raise ValueError(f"initial must have shape ({S},), got {mu.shape}")
            check_distributions(mu, "initial")
        for arr in (P, R, mu):
            arr.setflags(write=False)
        self._P, self._R, self._mu = P, R, mu
        self._gamma = gamma
        self._n = n
        self._lead = lead
        self.name = name

    # -- basic attributes ------------------------------------------------------------
    @property
    def transitions(self) -> np.ndarray:
        """Nominal kernel, ``(H, S, A_1..A_n, S)`` or ``(S, A_1..A_n, S)`` (read-only)."""
        return self._P

    @property
    def rewards(self) -> np.ndarray:
        """Rewards with the player on the last axis (read-only)."""
        return self._R

    @property
    def gamma(self):
        """Discount factor, or ``None`` for a finite-horizon game."""
        return self._gamma

    @property
    def initial(self) -> np.ndarray:
        """Start distribution ``(S,)``."""
        return self._mu

    @property
    def discounted(self) -> bool:
        return self._gamma is not None

    @property
    def horizon(self):
        """``H`` for finite-horizon games, ``None`` when discounted."""
        return None if self.discounted else self._P.shape[0]

    @property
    def n_players(self) -> int:
        return self._n

    @property
    def n_states(self) -> int:
        return self._P.shape[self._lead - 1]

    @property
    def n_actions(self) -> tuple:
        """Per-player action counts ``(A_1, ..., A_n)``."""
        return tuple(int(a) for a in self._P.shape[self._lead:-1])

    @property
    def n_joint_actions(self) -> int:
        return int(np.prod(self.n_actions))

    @property
    def policy_shape(self) -> tuple:
        """Shape of a joint policy: ``(H, S, A_1..A_n)`` or ``(S, A_1..A_n)``."""
        return self._P.shape[:-1]

    @property
    def value_shape(self) -> tuple:
        """Shape of values: ``(H+1, S, n)`` or ``(S, n)``."""
        if self.discounted:
            return (self.n_states, self._n)
        return (self.horizon + 1, self.n_states, self._n)

    # -- flat views used by the compiled layers ---------------------------------------
    @property
    def flat_transitions(self) -> np.ndarray:
        """Kernel with the joint action flattened: ``(H, S, A, S)`` or ``(S, A, S)``, ``A = prod A_i``."""
        lead = self._P.shape[: self._lead]
        return self._P.reshape(lead + (self.n_joint_actions, self.n_states))

    @property
    def flat_rewards(self) -> np.ndarray:
        """Rewards with the joint action flattened: ``(H, S, A, n)`` or ``(S, A, n)``."""
        lead = self._R.shape[: self._lead]
        return self._R.reshape(lead + (self.n_joint_actions, self._n))

    def with_transitions(self, transitions) -> "MarkovGame":
        """The same game (rewards, gamma, initial) with another kernel, e.g. a worst case."""
        return MarkovGame(transitions, self._R, self._gamma, self._mu, name=self.name)

    def __repr__(self) -> str:
        kind = f"gamma={self._gamma}" if self.discounted else f"H={self.horizon}"
        label = f"{self.name!r}, " if self.name else ""
        return (
            f"MarkovGame({label}n_players={self._n}, S={self.n_states}, "
            f"actions={self.n_actions}, {kind})"
        )
