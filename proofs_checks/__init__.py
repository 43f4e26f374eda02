"""One module per claim of the papers; each runnable, each able to FAIL.

Installed as ``robustgames.proofs_checks`` and run by ``robustgames check``.
"""
