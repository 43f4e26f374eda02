"""Reference deep agents (PyTorch, CPU) validated against robustgames' exact truth
(optional extra ``robustgames[deep]``; the core package never imports this subpackage).

* :mod:`robustgames.deep._losses`: the DrIGM robust Q-targets as pure torch functions;
* :func:`train_factorised`: robust VDN / QMIX on those targets, tracked exactly;
* :func:`train_rqe_mappo`: risk-averse MAPPO (C51 critic, entropic risk in GAE, fixed
  entropy coefficient) compared with the exact Markov RQE;
* :func:`train_rqe_actor_critic`: centralised joint-action critic with the RQE's tilted
  advantage (the entropic risk over the opponent's action), whose stationary points, with an
  exact critic, are stage RQE of the critic's payoffs (convergence measured, not claimed).

docs/theory.md section 10.
"""

try:
    import torch  # noqa: F401
except ImportError as exc:  # pragma: no cover
    raise ImportError("robustgames.deep needs PyTorch: pip install torch==2.13.0 && "
                      "pip install -e \".[deep]\"") from exc

from . import _losses as losses
from ._factorised import MIXERS, QMixer, VDNMixer, train_factorised
from ._mappo import VARIANTS, regularised_exploitability, train_rqe_mappo, variant_parameters
from ._rqe_ac import entropic_loss, tilted_advantage, train_rqe_actor_critic

__all__ = ["losses", "train_factorised", "MIXERS", "QMixer", "VDNMixer", "train_rqe_mappo",
           "regularised_exploitability", "variant_parameters", "VARIANTS", "train_rqe_actor_critic",
           "tilted_advantage", "entropic_loss"]
