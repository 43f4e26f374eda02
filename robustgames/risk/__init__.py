"""Risk measures of discrete distributions, exact return distributions and the C51
projection (docs/theory.md section 7)."""

from ._distributions import c51_grid, c51_project, return_distribution
from ._measures import cvar, entropic_risk, mean_variance

__all__ = ["entropic_risk", "cvar", "mean_variance", "return_distribution", "c51_project", "c51_grid"]
