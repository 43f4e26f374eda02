"""The robust Q-targets of DrIGM as pure PyTorch functions (docs/theory.md
sections 6.2 and 10.1; DrIGM arXiv 2602.11437 and its code robust-coMARL, read for facts
only).

Every function works on a batch of sampled transitions ``(s, a, r, s', done)`` of the
NOMINAL kernel and receives the bootstrapped next value ``v_next = V(s')`` (for VDN the
sum of per-agent maxima of the target network, for QMIX the target mixer at the per-agent
maxima, as in the published code). ``done`` pins ``V(s') = 0`` (the ``(1 - done)`` mask);
every target below masks first, ``v = (1 - done) v_next``, and ``c`` is the discount
``gamma``. Written next to the exact tabular operators of
:mod:`robustgames.factorization._targets` (same names), with which each one agrees in
expectation over ``s' ~ P0`` (tested on tabular batches in ``tests/test_deep_losses.py``):

* :func:`contamination_exact_target`: ``y = r + c [(1 - rho) v + rho m]`` with ``m`` the
  minimum of ``V``. Which minimum: the BATCH minimum ``m = min_{j in batch} v_j`` over the
  masked next-state values of the batch (:func:`batch_min`), unless ``v_min`` is passed.
  The exact operator uses ``min_s V(s)`` over all states; the batch minimum equals it
  when the batch's next states cover the minimising state, and is larger otherwise
  (optimistic by at most ``c rho (m_batch - min_s V)``).
* :func:`contamination_target` (the published code): ``y = r + c (1 - rho) v`` (the
  ``rho min V`` term dropped).
* :func:`g_network_target` / :func:`g_network_loss` (the published TV "G-network"):
  ``y = r + c [(1 - rho) g - (g - v)_+]`` with ``g = G(s, a)`` a network trained by
  minimising ``E[((g - v)_+ - (1 - rho) g)^2]``, the squared loss as published. It does not
  maximise the TV dual: when ``V >= 0`` its minimum is ``g = 0`` and the target is ``r``
  alone (docs/theory.md section 6.2).
* :func:`tv_dual_target` / :func:`tv_dual_loss` (the exact TV dual):
  ``y = r + c [(1 - rho) eta - (eta - v)_+ + rho m]`` with ``eta = eta(s, a)`` a network
  MAXIMISING ``E[(1 - rho) eta - (eta - v)_+]`` (the dual of ``sigma_TV``, docs/theory.md
  section 2.2; its maximiser is a ``(1 - rho)``-quantile of ``V(s')``) and ``m`` the batch
  minimum as above (``with_min=False``: the dropped-term ``"tv_dual"``).
* :func:`nonrobust_target`: ``y = r + c v``.
* :func:`groupdr_target` (reward-only GroupDR, DRMARL-style baseline):
  ``y = min_g rhat_g(s, a) + c v`` over the group rewards of the batch rows.

:func:`td_loss` is the squared TD loss ``mean (y - Q)^2 / 2`` with the target detached.
"""

from __future__ import annotations

import torch

__all__ = ["batch_min", "batch_min_per_step", "contamination_exact_target", "contamination_target", "g_network_target",
           "g_network_loss", "tv_dual_target", "tv_dual_loss", "tv_dual_objective", "nonrobust_target",
           "groupdr_target", "td_loss", "LOSS_TARGETS"]

#: the target names of the deep agents (``tv_exact`` is :func:`tv_dual_target` with the
#: batch minimum, ``tv_dual`` without it)
LOSS_TARGETS = ("contamination_exact", "contamination", "tv_exact", "tv_dual", "g_network", "nonrobust",
                "groupdr")


def _masked(v_next, done):
    v_next = torch.as_tensor(v_next)
    if done is None:
        return v_next
    return v_next * (1.0 - torch.as_tensor(done, dtype=v_next.dtype))


def batch_min(v_next, done=None):
    """``min_j (1 - done_j) v_next_j``: the batch estimate of ``min_s V(s)`` used by the
    exact targets (no gradient)."""
    return _masked(v_next, done).detach().min()


def batch_min_per_step(v_next, done, step):
    """Per row ``j``: ``min {(1 - done_k) v_next_k : step_k = step_j}``, the batch estimate
    of ``min_s V_{h+1}(s)`` of a finite-horizon game (``step`` = each row's next step
    ``h + 1``; the exact operator's minimum is over the states of that step only, docs/theory.md
    section 10.1). No gradient; pass it as ``v_min``."""
    v = _masked(v_next, done).detach()
    step = torch.as_tensor(step).reshape(-1)
    same = step[:, None] == step[None, :]  # (B, B)
    big = torch.full_like(v, float("inf"))
    return torch.where(same, v[None, :].expand(len(v), -1), big[None, :]).min(dim=1).values


def contamination_exact_target(r, v_next, done, gamma, rho, v_min=None):
    """Exact contamination target ``y = r + gamma [(1 - rho) v + rho m]``,
    ``v = (1 - done) v_next``, ``m = v_min`` or the batch minimum :func:`batch_min`.

    Its mean over ``s' ~ P0(.|s, a)`` with ``m = min_s V`` is ``r + gamma
    sigma_Contamination(V)`` (docs/theory.md section 6.2).
    """
    v = _masked(v_next, done)
    m = batch_min(v_next, done) if v_min is None else torch.as_tensor(v_min, dtype=v.dtype)
    return (torch.as_tensor(r, dtype=v.dtype) + gamma * ((1.0 - rho) * v + rho * m)).detach()


def contamination_target(r, v_next, done, gamma, rho):
    """The published code's contamination target ``y = r + gamma (1 - rho) v`` (no
    ``rho min V``)."""
    v = _masked(v_next, done)
    return (torch.as_tensor(r, dtype=v.dtype) + gamma * (1.0 - rho) * v).detach()


def g_network_target(r, v_next, done, g, gamma, rho):
    """The published TV target ``y = r + gamma [(1 - rho) g - (g - v)_+]`` with the
    G-network output ``g`` (detached)."""
    v = _masked(v_next, done)
    g = torch.as_tensor(g, dtype=v.dtype).detach()
    return (torch.as_tensor(r, dtype=v.dtype) + gamma * ((1.0 - rho) * g - torch.relu(g - v))).detach()


def g_network_loss(g, v_next, done, rho, weights=None):
    """The published squared G-loss ``E[((g - v)_+ - (1 - rho) g)^2]`` (gradient to ``g``
    only; ``weights``: optional per-row weights, e.g. ``P0(s'|s, a)`` on a tabular
    batch)."""
    v = _masked(v_next, done).detach()
    per = (torch.relu(g - v) - (1.0 - rho) * g) ** 2
    return per.mean() if weights is None else (weights * per).sum()


def tv_dual_objective(eta, v_next, done, rho, weights=None):
    """The TV dual objective ``E[(1 - rho) eta - (eta - v)_+]`` (to be MAXIMISED over
    ``eta``; docs/theory.md section 2.2)."""
    v = _masked(v_next, done).detach()
    per = (1.0 - rho) * eta - torch.relu(eta - v)
    return per.mean() if weights is None else (weights * per).sum()


def tv_dual_loss(eta, v_next, done, rho, weights=None):
    """``-`` :func:`tv_dual_objective` (minimised by the eta-network)."""
    return -tv_dual_objective(eta, v_next, done, rho, weights)


def tv_dual_target(r, v_next, done, eta, gamma, rho, *, with_min=True, v_min=None):
    """Exact TV dual target ``y = r + gamma [(1 - rho) eta - (eta - v)_+ + rho m]``
    (``with_min=False``: without ``rho m``, the dropped ``"tv_dual"``); ``m`` as in
    :func:`contamination_exact_target`. At the dual maximiser ``eta*`` and with
    ``m = min_s V`` its mean over ``s' ~ P0`` is ``r + gamma sigma_TV(V)``."""
    v = _masked(v_next, done)
    eta = torch.as_tensor(eta, dtype=v.dtype).detach()
    y = torch.as_tensor(r, dtype=v.dtype) + gamma * ((1.0 - rho) * eta - torch.relu(eta - v))
    if with_min:
        m = batch_min(v_next, done) if v_min is None else torch.as_tensor(v_min, dtype=v.dtype)
        y = y + gamma * rho * m
    return y.detach()


def nonrobust_target(r, v_next, done, gamma):
    """Non-robust target ``y = r + gamma v``."""
    v = _masked(v_next, done)
    return (torch.as_tensor(r, dtype=v.dtype) + gamma * v).detach()


def groupdr_target(group_rewards, v_next, done, gamma):
    """Reward-only GroupDR target ``y = min_g rhat_g + gamma v`` (``group_rewards``
    ``(B, m)``: the group rewards of each row)."""
    v = _masked(v_next, done)
    gr = torch.as_tensor(group_rewards, dtype=v.dtype)
    return (gr.min(dim=-1).values + gamma * v).detach()


def td_loss(q, y, weights=None):
    """Squared TD loss ``mean (y - q)^2 / 2`` (``y`` detached)."""
    per = 0.5 * (y.detach() - q) ** 2
    return per.mean() if weights is None else (weights * per).sum()
