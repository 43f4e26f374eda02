"""Joint actions and joint policies.

A joint action ``a = (a_1, ..., a_n)`` is flattened in C order (the last player varies
fastest), exactly as ``numpy.ravel_multi_index`` does; every compiled layer works on the
flat index. A joint policy assigns a distribution over joint actions to each (step,)
state: shape ``(H, S, A_1..A_n)`` or ``(S, A_1..A_n)``. A *product* policy is the outer
product of per-player policies; a correlated one is any joint distribution.
"""

from __future__ import annotations

import numpy as np

from .._validation import as_float_array, check_distributions


def joint_index(actions, n_actions) -> int:
    """Flat index of the joint action ``actions = (a_1, ..., a_n)`` (C order)."""
    n_actions = tuple(int(a) for a in n_actions)
    actions = tuple(int(a) for a in actions)
    if len(actions) != len(n_actions):
        raise ValueError(f"actions has {len(actions)} entries but there are {len(n_actions)} players")
    for i, (a, m) in enumerate(zip(actions, n_actions)):
        if not 0 <= a < m:
            raise ValueError(f"actions[{i}]={a} is out of range for player {i} with {m} actions")
    return int(np.ravel_multi_index(actions, n_actions))


def joint_actions(index, n_actions) -> tuple:
    """Per-player actions of flat joint index ``index`` (inverse of :func:`joint_index`)."""
    n_actions = tuple(int(a) for a in n_actions)
    total = int(np.prod(n_actions))
    index = int(index)
    if not 0 <= index < total:
        raise ValueError(f"index={index} is out of range for {total} joint actions")
    return tuple(int(a) for a in np.unravel_index(index, n_actions))


def product_policy(policies) -> np.ndarray:
    """Joint policy of independent players: ``pi(a | s) = prod_i pi_i(a_i | s)``.

    Parameters
    ----------
    policies : sequence of array_like
        One array per player, each ``(..., A_i)`` with identical leading shape
        (``(H, S)`` or ``(S,)``); rows are distributions.

    Returns
    -------
    ndarray
        ``(..., A_1, ..., A_n)``.
    """
    if len(policies) == 0:
        raise ValueError("policies must hold one policy per player, got none")
    arrays = []
    for i, p in enumerate(policies):
        arr = as_float_array(p, f"policies[{i}]", min_ndim=1)
        check_distributions(arr, f"policies[{i}]")
        arrays.append(arr)
    lead = arrays[0].shape[:-1]
    for i, arr in enumerate(arrays):
        if arr.shape[:-1] != lead:
            raise ValueError(
                f"policies[{i}] has leading shape {arr.shape[:-1]} but policies[0] has {lead}"
            )
    joint = arrays[0]
    for arr in arrays[1:]:
        joint = joint[..., None] * arr.reshape(lead + (1,) * (joint.ndim - len(lead)) + (arr.shape[-1],))
    return np.ascontiguousarray(joint)


def marginal(policy, player: int, n_players: int) -> np.ndarray:
    """Player ``player``'s marginal ``(..., A_i)`` of a joint policy ``(..., A_1..A_n)``."""
    pol = np.asarray(policy, dtype=np.float64)
    if not 0 <= player < n_players:
        raise ValueError(f"player must lie in [0, {n_players}), got {player}")
    lead = pol.ndim - n_players
    axes = tuple(lead + j for j in range(n_players) if j != player)
    return pol.sum(axis=axes)


def deterministic_policy(actions, n_actions) -> np.ndarray:
    """Joint policy putting all mass on the flat joint action ``actions[..., ]``.

    ``actions`` is an integer array of flat joint indices with the policy's leading shape.
    """
    acts = np.asarray(actions, dtype=np.int64)
    n_actions = tuple(int(a) for a in n_actions)
    total = int(np.prod(n_actions))
    if acts.size and (acts.min() < 0 or acts.max() >= total):
        raise ValueError(f"actions must be flat joint indices in [0, {total})")
    out = np.zeros(acts.shape + (total,))
    np.put_along_axis(out, acts[..., None], 1.0, axis=-1)
    return out.reshape(acts.shape + n_actions)
