"""The core package never imports the optional deep agents (nor torch)."""

import subprocess
import sys


def test_import_robustgames_does_not_import_torch():
    code = ("import sys, robustgames; "
            "bad = [m for m in ('torch', 'robustgames.deep') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)
