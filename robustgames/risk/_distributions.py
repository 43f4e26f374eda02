"""Exact return distributions of a joint policy and the C51 projection
(docs/theory.md section 7.4).

Return of player ``i`` in a finite-horizon game: ``G_i = sum_{h=0}^{H-1} r_{i,h}(s_h, a_h)``
with ``s_0 ~ initial``, ``a_h ~ pi_h(.|s_h)`` (a joint, possibly correlated, policy) and
``s_{h+1} ~ P_h(.|s_h, a_h)``. :func:`return_distribution` propagates, forward in ``h``,
the joint law of (state, return so far) as a finite list of atoms per state; atoms closer
than ``merge_tol`` are merged (probability-weighted mean), so with exact rewards the
result is the exact distribution up to round-off.

C51 projection (Bellemare et al. 2017) onto an evenly spaced grid ``z_1 < ... < z_N``
(spacing ``dz``), each atom clipped into ``[z_1, z_N]``:
``(Phi Z)_k = sum_j [1 - |z'_j - z_k| / dz]_0^1 p_j``; an atom that hits a grid point
exactly puts all its mass there. Facts used (proved in the tests and the theory document):
mass is preserved; the mean is preserved when no atom is clipped (the two weights are the
barycentric coordinates of ``z'_j``); the Wasserstein-1 distance between an atom and its
projection is ``2 t (1 - t) dz <= dz / 2`` (``t`` its fractional position), hence
``W1(Z, Phi Z) <= dz / 2``. Projecting after every one of ``H`` steps (when the exact atoms
exceed ``max_atoms``) gives ``W1 <= H dz / 2``, because adding a constant reward is a W1
isometry and mixing is W1-convex; the mean stays exact.
"""

from __future__ import annotations

import numpy as np

from .._result import Result
from .._validation import as_float_array, check_distributions, check_positive_int, check_real

__all__ = ["c51_project", "return_distribution", "c51_grid"]


def c51_grid(v_min, v_max, n_atoms=51) -> np.ndarray:
    """The evenly spaced C51 support ``linspace(v_min, v_max, n_atoms)``."""
    v_min = check_real(v_min, "v_min")
    v_max = check_real(v_max, "v_max")
    n_atoms = check_positive_int(n_atoms, "n_atoms", minimum=2)
    if not v_max > v_min:
        raise ValueError(f"v_max must exceed v_min, got {v_min} and {v_max}")
    return np.linspace(v_min, v_max, n_atoms)


def _check_grid(grid):
    grid = as_float_array(grid, "grid", ndim=1)
    if grid.size < 2:
        raise ValueError(f"grid must have at least 2 atoms, got {grid.size}")
    d = np.diff(grid)
    dz = (grid[-1] - grid[0]) / (grid.size - 1)
    if not (d > 0).all() or np.abs(d - dz).max() > 1e-9 * max(1.0, abs(dz)):
        raise ValueError("grid must be strictly increasing and evenly spaced (a C51 support)")
    return grid, float(dz)


def _project(z, p, grid, dz):
    """Projection kernel (numpy): returns the probabilities on ``grid``."""
    b = (np.clip(z, grid[0], grid[-1]) - grid[0]) / dz
    lo = np.floor(b)
    hi = np.ceil(b)
    lo_i = np.clip(lo.astype(np.int64), 0, grid.size - 1)
    hi_i = np.clip(hi.astype(np.int64), 0, grid.size - 1)
    out = np.zeros(grid.size)
    # an atom equal to a grid point (b may miss the integer by round-off) keeps its mass
    near = np.clip(np.rint(b).astype(np.int64), 0, grid.size - 1)
    hit = np.clip(z, grid[0], grid[-1]) == grid[near]
    lo_i = np.where(hit, near, lo_i)
    hi_i = np.where(hit, near, hi_i)
    exact = lo_i == hi_i
    np.add.at(out, lo_i[exact], p[exact])
    split = ~exact
    np.add.at(out, lo_i[split], p[split] * (hi[split] - b[split]))
    np.add.at(out, hi_i[split], p[split] * (b[split] - lo[split]))
    return out


def c51_project(z, p, grid) -> np.ndarray:
    """Project the categorical distribution ``(z, p)`` onto the C51 support ``grid``.

    docs/theory.md section 7.4: ``(Phi Z)_k = sum_j [1 - |clip(z_j) - g_k| / dz]_0^1 p_j``;
    an atom exactly on a grid point keeps all its mass there. Preserves the total mass;
    preserves the mean when every atom lies in ``[g_1, g_N]``; moves the distribution by at
    most ``dz / 2`` in Wasserstein-1 (no clipping).

    Parameters
    ----------
    z, p : array_like (N,)
        Atoms and probabilities.
    grid : array_like (K,)
        Evenly spaced increasing support.

    Returns
    -------
    ndarray (K,)
        Probabilities on ``grid``.
    """
    z = as_float_array(z, "z", ndim=1)
    p = as_float_array(p, "p", ndim=1)
    if z.shape != p.shape:
        raise ValueError(f"z and p must have the same shape, got {z.shape} and {p.shape}")
    check_distributions(p, "p")
    grid, dz = _check_grid(grid)
    return _project(z, p, grid, dz)


def _merge(z, w, tol):
    """Sort atoms and merge neighbours closer than ``tol`` (weighted mean); drop zeros."""
    keep = w > 0
    z, w = z[keep], w[keep]
    if z.size == 0:
        return z, w
    order = np.argsort(z, kind="stable")
    z, w = z[order], w[order]
    new = np.empty(z.size, dtype=bool)
    new[0] = True
    new[1:] = np.diff(z) > tol
    group = np.cumsum(new) - 1
    wm = np.bincount(group, weights=w)
    zm = np.bincount(group, weights=w * z) / wm
    return zm, wm


def return_distribution(game, policy, player: int = 0, *, grid=None, max_atoms: int = 100_000,
                        merge_tol: float = 1e-12) -> Result:
    """Exact distribution of player ``player``'s total reward under a joint policy.

    docs/theory.md section 7.4. Forward propagation of the law of (state, return so far);
    atoms per state are merged within ``merge_tol``. When the number of atoms of some
    state would exceed ``max_atoms``, ``grid`` is required and every state's atoms are
    projected onto it after each step from then on (C51 projection; the mean is preserved
    and the Wasserstein-1 error is at most ``dz / 2`` per projection). With ``grid`` given
    and few atoms, the exact distribution is also projected once at the end
    (``projected``) with ``W1 <= dz / 2``.

    Parameters
    ----------
    game : MarkovGame
        Finite horizon (``gamma is None``).
    policy : array_like (H, S, A_1, ..., A_n)
        Joint policy (rows over joint actions sum to 1).
    player : int
        Whose rewards are summed.
    grid : array_like (K,), optional
        Evenly spaced C51 support; must contain every reachable partial return range
        ``[min_h sum_{h'<h} min r, max_h sum_{h'<h} max r]`` so no projection clips.
    max_atoms : int
        Cap on the atoms of any state before the projection takes over.
    merge_tol : float
        Atoms closer than this are merged.

    Returns
    -------
    Result
        ``atoms`` (sorted), ``probs``: the exact distribution, or ``None`` when it had to
        be projected during the propagation; ``projected`` (probabilities on ``grid``) or
        ``None``; ``grid``; ``mean`` (exact in both cases); ``exact`` (bool);
        ``w1_bound`` (bound on the Wasserstein-1 distance between ``projected`` and the
        exact law: ``dz/2`` or ``(number of projections) dz/2``; 0 without a grid).
    """
    from ..games import MarkovGame

    if not isinstance(game, MarkovGame):
        raise TypeError(f"game must be a MarkovGame, got {type(game).__name__}")
    if game.discounted:
        raise ValueError("return_distribution needs a finite-horizon game (gamma=None): a discounted "
                         "return has infinitely many atoms in general")
    n = game.n_players
    if isinstance(player, bool) or not isinstance(player, (int, np.integer)) or not 0 <= player < n:
        raise ValueError(f"player must be an integer in [0, {n - 1}], got {player!r}")
    max_atoms = check_positive_int(max_atoms, "max_atoms")
    merge_tol = check_real(merge_tol, "merge_tol", low=0.0)
    pol = as_float_array(policy, "policy")
    if pol.shape != game.policy_shape:
        raise ValueError(f"policy must have shape {game.policy_shape}, got {pol.shape}")
    H, S, A = game.horizon, game.n_states, game.n_joint_actions
    pol = pol.reshape(H, S, A)
    check_distributions(pol, "policy")
    P = game.flat_transitions
    r = game.flat_rewards[..., player]
    dz = None
    if grid is not None:
        grid, dz = _check_grid(grid)
        lows = np.concatenate([[0.0], np.cumsum(r.min(axis=(1, 2)))])
        highs = np.concatenate([[0.0], np.cumsum(r.max(axis=(1, 2)))])
        slack = 1e-9 * max(1.0, abs(grid[0]), abs(grid[-1]))
        if lows.min() < grid[0] - slack or highs.max() > grid[-1] + slack:
            raise ValueError(f"grid [{grid[0]:g}, {grid[-1]:g}] must contain every reachable partial return "
                             f"[{lows.min():g}, {highs.max():g}] so that no projection clips")
    # per state: (atoms, weights) of the return so far, joint with the state
    cur = [(np.zeros(1), np.array([m])) if m > 0 else (np.zeros(0), np.zeros(0)) for m in game.initial]
    projections = 0
    on_grid = False
    mean = 0.0
    for h in range(H):
        contrib_z = [[] for _ in range(S)]
        contrib_w = [[] for _ in range(S)]
        for s in range(S):
            z, w = cur[s]
            if w.size == 0:
                continue
            for a in np.flatnonzero(pol[h, s] > 0):
                pa = pol[h, s, a]
                rew = r[h, s, a]
                mean += pa * rew * w.sum()
                for s2 in np.flatnonzero(P[h, s, a] > 0):
                    contrib_z[s2].append(z + rew)
                    contrib_w[s2].append(w * (pa * P[h, s, a, s2]))
        nxt = []
        too_many = False
        for s2 in range(S):
            if contrib_z[s2]:
                z2, w2 = _merge(np.concatenate(contrib_z[s2]), np.concatenate(contrib_w[s2]), merge_tol)
            else:
                z2, w2 = np.zeros(0), np.zeros(0)
            too_many |= z2.size > max_atoms
            nxt.append((z2, w2))
        if too_many or on_grid:
            if grid is None:
                raise ValueError(f"the exact distribution has more than max_atoms={max_atoms} atoms at step {h}; "
                                 "raise max_atoms or give a C51 grid")
            nxt = [(grid.copy(), _project(z2, w2 / w2.sum(), grid, dz) * w2.sum()) if w2.size else (z2, w2)
                   for z2, w2 in nxt]
            projections += 1
            on_grid = True
        cur = nxt
    z_all, w_all = _merge(np.concatenate([c[0] for c in cur]), np.concatenate([c[1] for c in cur]), merge_tol)
    w_all = w_all / w_all.sum()
    projected = None
    bound = 0.0
    if grid is not None:
        projected = _project(z_all, w_all, grid, dz)
        bound = (projections + (0 if on_grid else 1)) * dz / 2
    return Result(
        atoms=None if on_grid else z_all,
        probs=None if on_grid else w_all,
        projected=projected,
        grid=grid,
        mean=float(mean),
        exact=not on_grid,
        w1_bound=float(bound),
        player=int(player),
    )
