"""Testing helpers for robustgames and for code built on it.

:mod:`robustgames.testing.strategies` holds public hypothesis strategies (distributions,
adversarial value vectors, radii, small Markov games). It imports ``hypothesis``, which is
a test dependency only, so it is not imported here.
"""
