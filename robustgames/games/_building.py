"""A small building-control team game: zones, heating levels, a climate.

In the spirit of the multi-zone building experiment of DrIGM (arXiv 2602.11437, trained in
one climate and evaluated in others); the model is this package's own, small enough for
exact robust dynamic programming.

* ``n`` zones on a line (zone ``i`` is adjacent to ``i - 1`` and ``i + 1``); agent ``i``
  sets zone ``i``'s heating level ``a_i in {0..L-1}`` (``L = levels``).
* Zone temperatures are discretised on ``T = n_temps`` bins
  ``x_k = setpoint + spacing (k - (T - 1)/2)`` (°C). State ``s = (k_1..k_n)``, flat
  index ``sum_i k_i T^(n-1-i)`` (row-major, zone 0 most significant); ``S = T^n``.
* Each step an outdoor temperature ``o`` is drawn from the climate distribution over the
  grid :data:`BUILDING_OUTDOOR` (°C), the SAME ``o`` for every zone. Zone ``i``'s next
  temperature before discretisation is::

      y_i = x_i + leak (o - x_i) + heat_gain a_i / (L - 1) + coupling sum_{j ~ i} (x_j - x_i),

  clipped to ``[x_0, x_{T-1}]`` and rounded stochastically to the two neighbouring bins
  (linear interpolation: ``y = x_k + f spacing`` goes to bin ``k + 1`` with probability
  ``f``, else to ``k``), independently across zones given ``o``. The kernel is the
  mixture over ``o``; every climate (a distribution of ``o``) gives a different kernel.
* Shared team reward (every agent gets it), in ``[0, 1]``::

      r(s, a) = (1 - energy_weight) mean_i comfort_i + energy_weight (1 - mean_i a_i/(L - 1)),
      comfort_i = 1 - |x_i - setpoint| / max_k |x_k - setpoint|

  (``comfort = 1`` when ``T = 1``).

Climates (:data:`BUILDING_CLIMATES`, discretised normals ``N(mean, sd^2)`` on the grid,
weights ``exp(-(o - mean)^2 / (2 sd^2))`` normalised): ``nominal`` (5, 4), ``cold``
(-5, 4), ``warm`` (15, 4), ``volatile`` (5, 10), ``mild`` (10, 3), ``heatwave`` (28, 3).
A climate may also be given as a probability vector over the grid.

:func:`building_climates` returns every climate's kernel (out-of-distribution
evaluation); :func:`building_group` the :class:`~robustgames.uncertainty.Group` set whose
row ``(s, a)`` is the convex hull of the climates' rows (a group-DRO set over climates,
(s,a)-rectangular).
"""

from __future__ import annotations

import itertools

import numpy as np

from .._validation import as_float_array, check_distributions, check_positive_int, check_real
from ._markov_game import MarkovGame

__all__ = ["building_game", "building_climates", "building_group", "building_state", "BUILDING_CLIMATES",
           "BUILDING_OUTDOOR"]

#: Outdoor temperature grid (°C) over which climates are distributions.
BUILDING_OUTDOOR = np.arange(-10.0, 36.0, 5.0)

#: Named climates: (mean, standard deviation) in °C of a discretised normal on the grid.
BUILDING_CLIMATES = {
    "nominal": (5.0, 4.0),
    "cold": (-5.0, 4.0),
    "warm": (15.0, 4.0),
    "volatile": (5.0, 10.0),
    "mild": (10.0, 3.0),
    "heatwave": (28.0, 3.0),
}


def _climate_weights(climate) -> np.ndarray:
    if isinstance(climate, str):
        if climate not in BUILDING_CLIMATES:
            raise ValueError(f"unknown climate {climate!r}; choose one of "
                             f"{', '.join(map(repr, BUILDING_CLIMATES))} or give a probability vector")
        mean, sd = BUILDING_CLIMATES[climate]
        w = np.exp(-((BUILDING_OUTDOOR - mean) ** 2) / (2.0 * sd * sd))
        return w / w.sum()
    w = as_float_array(climate, "climate", ndim=1)
    if w.shape != BUILDING_OUTDOOR.shape:
        raise ValueError(f"climate as a vector must have shape {BUILDING_OUTDOOR.shape} "
                         f"(one probability per BUILDING_OUTDOOR value), got {w.shape}")
    check_distributions(w, "climate")
    return w


def _params(n_zones, levels, n_temps, setpoint, spacing, energy_weight, leak, heat_gain, coupling):
    n = check_positive_int(n_zones, "n_zones")
    L = check_positive_int(levels, "levels", minimum=2)
    T = check_positive_int(n_temps, "n_temps")
    if T ** n * L ** n > 20_000:
        raise ValueError(f"n_zones={n}, levels={L}, n_temps={T} give S*A = {T ** n * L ** n} > 20000 "
                         "(this exact tabular model is meant to stay small)")
    p = dict(n=n, L=L, T=T,
             setpoint=check_real(setpoint, "setpoint"),
             spacing=check_real(spacing, "spacing", low=0.0, low_open=True),
             energy_weight=check_real(energy_weight, "energy_weight", low=0.0, high=1.0),
             leak=check_real(leak, "leak", low=0.0, high=1.0),
             heat_gain=check_real(heat_gain, "heat_gain", low=0.0),
             coupling=check_real(coupling, "coupling", low=0.0, high=0.5))
    return p


def building_state(index: int, *, n_zones: int = 2, n_temps: int = 3) -> tuple:
    """Temperature bins ``(k_1..k_n)`` of a flat state index (module docstring)."""
    n = check_positive_int(n_zones, "n_zones")
    T = check_positive_int(n_temps, "n_temps")
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
        raise TypeError(f"index must be an integer, got {type(index).__name__}")
    if not 0 <= index < T ** n:
        raise ValueError(f"index must lie in [0, {T ** n - 1}], got {index}")
    return tuple(int(k) for k in np.unravel_index(int(index), (T,) * n))


def _kernel_and_reward(p, weights):
    n, L, T = p["n"], p["L"], p["T"]
    temps = p["setpoint"] + p["spacing"] * (np.arange(T) - (T - 1) / 2.0)
    S, states = T ** n, list(itertools.product(range(T), repeat=n))
    acts = list(itertools.product(range(L), repeat=n))
    P = np.zeros((S,) + (L,) * n + (S,))
    R = np.zeros((S,) + (L,) * n)
    dev = np.abs(temps - p["setpoint"])
    comfort = 1.0 - dev / dev.max() if dev.max() > 0 else np.ones(T)
    lo, hi = temps[0], temps[-1]
    support = np.flatnonzero(weights > 0)
    for s, ks in enumerate(states):
        x = temps[list(ks)]
        nb = np.zeros(n)
        for i in range(n):
            for j in (i - 1, i + 1):
                if 0 <= j < n:
                    nb[i] += x[j] - x[i]
        for a in acts:
            a_arr = np.asarray(a, dtype=float)
            R[(s,) + a] = ((1.0 - p["energy_weight"]) * comfort[list(ks)].mean()
                           + p["energy_weight"] * (1.0 - a_arr.mean() / (L - 1)))
            row = np.zeros(S)
            for o_idx in support:
                o = BUILDING_OUTDOOR[o_idx]
                y = x + p["leak"] * (o - x) + p["heat_gain"] * a_arr / (L - 1) + p["coupling"] * nb
                y = np.clip(y, lo, hi)
                if T == 1:
                    row[0] += weights[o_idx]
                    continue
                pos = (y - lo) / p["spacing"]
                k0 = np.minimum(np.floor(pos).astype(np.int64), T - 2)
                f = pos - k0
                zone = np.zeros((n, T))
                zone[np.arange(n), k0] = 1.0 - f
                zone[np.arange(n), k0 + 1] += f
                joint = zone[0]
                for i in range(1, n):
                    joint = np.multiply.outer(joint, zone[i])
                row += weights[o_idx] * joint.reshape(-1)
            P[(s,) + a] = row / row.sum()
    return P, R


def building_game(n_zones: int = 2, levels: int = 3, climate="nominal", *, gamma: float | None = None,
                  horizon: int | None = None, n_temps: int = 3, setpoint: float = 20.0, spacing: float = 2.0,
                  energy_weight: float = 0.3, leak: float = 0.2, heat_gain: float = 6.0, coupling: float = 0.1,
                  start=None) -> MarkovGame:
    """Cooperative building-control game (module docstring for the model).

    Parameters
    ----------
    n_zones : int, default 2
        Number of zones = agents.
    levels : int, default 3
        Heating levels per agent, ``>= 2``.
    climate : str or array_like
        A name of :data:`BUILDING_CLIMATES` or a distribution over :data:`BUILDING_OUTDOOR`.
    gamma : float, optional
        Discount factor (default 0.95 when ``horizon`` is not given).
    horizon : int, optional
        Finite horizon (stationary kernel repeated); do not combine with ``gamma``.
    n_temps : int, default 3
        Temperature bins per zone (``S = n_temps ** n_zones``).
    setpoint, spacing : float
        Comfort set point and bin spacing (°C).
    energy_weight : float in [0, 1], default 0.3
        Weight of the energy term in the reward.
    leak : float in [0, 1], heat_gain >= 0, coupling in [0, 0.5]
        Thermal dynamics (module docstring).
    start : None or tuple of bins
        Start distribution: uniform over states (default) or a point mass at these bins.

    Returns
    -------
    MarkovGame
        ``n_zones`` players with ``levels`` actions each, identical rewards in ``[0, 1]``,
        ``name`` ``"building_<climate>"``.
    """
    p = _params(n_zones, levels, n_temps, setpoint, spacing, energy_weight, leak, heat_gain, coupling)
    w = _climate_weights(climate)
    if gamma is not None and horizon is not None:
        raise ValueError("give either horizon (finite horizon) or gamma (discounted), not both")
    if horizon is None and gamma is None:
        gamma = 0.95
    P, R = _kernel_and_reward(p, w)
    n, S = p["n"], p["T"] ** p["n"]
    if start is None:
        initial = np.full(S, 1.0 / S)
    else:
        try:
            ks = tuple(int(k) for k in start)
        except (TypeError, ValueError):
            raise TypeError(f"start must be None or a tuple of {n} temperature bins, got {start!r}") from None
        if len(ks) != n or any(not 0 <= k < p["T"] for k in ks):
            raise ValueError(f"start must be {n} bins in [0, {p['T'] - 1}], got {start!r}")
        initial = np.zeros(S)
        initial[np.ravel_multi_index(ks, (p["T"],) * n)] = 1.0
    rewards = np.repeat(R[..., None], n, axis=-1)
    name = f"building_{climate if isinstance(climate, str) else 'custom'}"
    if horizon is None:
        return MarkovGame(P, rewards, gamma=gamma, initial=initial, name=name)
    H = check_positive_int(horizon, "horizon")
    return MarkovGame(np.ascontiguousarray(np.broadcast_to(P, (H,) + P.shape)),
                      np.ascontiguousarray(np.broadcast_to(rewards, (H,) + rewards.shape)),
                      initial=initial, name=name)


def building_climates(climates=None, **kwargs) -> dict:
    """Kernel of every climate, ``{name: transitions}`` with the shape of
    ``building_game(**kwargs).transitions``.

    ``climates``: names (default: all of :data:`BUILDING_CLIMATES`); ``kwargs``: the model
    parameters of :func:`building_game` (``climate`` excluded).
    """
    if "climate" in kwargs:
        raise TypeError("building_climates takes climates=[names], not climate=")
    names = list(BUILDING_CLIMATES) if climates is None else list(climates)
    if not names:
        raise ValueError("climates must name at least one climate")
    return {c: building_game(climate=c, **kwargs).transitions for c in names}


def building_group(climates=None, **kwargs):
    """The :class:`~robustgames.uncertainty.Group` set over climates: row ``(s, a)`` ranges
    over the convex hull of the climates' rows ``P_c(. | s, a)`` (default: all climates).

    Same arguments as :func:`building_climates`; the set matches
    ``building_game(**kwargs)`` (whatever its climate).
    """
    from ..uncertainty import Group

    kernels = building_climates(climates, **kwargs)
    return Group(np.stack(list(kernels.values())))
