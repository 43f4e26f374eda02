"""Experiment definitions run by ``robustgames reproduce`` (installed as ``robustgames.experiments``).

Each module defines one study: its configurations for the ``quick`` and ``full`` profiles
and a function that runs one (config, seed) cell through the public API. Modules here
import only the public API of robustgames and write data; figures are drawn by
``paper_figures``.
"""
