"""Scripts that only READ stored results and draw figures (PNG and PDF).

Installed as ``robustgames.paper_figures``; ``robustgames reproduce`` calls them.
"""
