"""The README's example runs and its two set-up commands match .ci/run."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_example_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README, re.S)
    assert blocks, "README has no python example"
    for code in blocks:
        exec(compile(code, "README.md", "exec"), {})
    assert capsys.readouterr().out.strip()


def test_readme_commands_match_ci():
    commands = re.findall(r"```bash\n(.*?)```", README, re.S)
    assert len(commands) == 2, "the README has exactly two set-up commands"
    install_run, install_test = (c.strip() for c in commands)
    assert install_run.endswith("robustgames reproduce")
    test_command = install_test.split("&&")[-1].strip()
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_command in ci, f".ci/run must run the README's test command: {test_command}"
    install = re.search(r'pip install -e "[^"]*"', install_test).group(0)
    assert "test" in install and install in ci, f".ci/run must install what the README's test command installs: {install}"
