"""Every CLI example in README.md runs.

Convention (also used for the walkthrough in docs/): CLI examples sit in ```bash fenced
blocks; each line starting with ``dcsim `` is a command to run from the repository root
(a trailing ``\\`` continues it on the next line). ``make`` lines and comments are skipped.
The test runs each command with ``--reps N`` cut to ``--reps 4`` (and, for ``calibrate`` and
``backtest``, ``--draws 40 --forecast-reps 10``) and every ``--out DIR`` (and later mentions
of DIR) redirected into a temporary folder, and asserts exit code 0.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SMALL_REPS = "4"
REPS_OPTIONS = ("--reps", "-n")
FIT_OPTIONS = {"--draws": "40", "--forecast-reps": "10"}  # the fewest a fit accepts, near enough
FIT_COMMANDS = ("calibrate", "backtest")
OUT_OPTIONS = ("--out", "-o")
FENCE = re.compile(r"^[ \t]*```bash[^\n]*\n(.*?)^[ \t]*```", re.MULTILINE | re.DOTALL)


def bash_blocks(text: str) -> list[str]:
    """The contents of the ```bash fenced blocks of a Markdown text."""
    return FENCE.findall(text)


def dcsim_commands(text: str) -> list[str]:
    """The ``dcsim ...`` command lines of a Markdown text's bash blocks, continuations joined."""
    commands = []
    for block in bash_blocks(text):
        joined = re.sub(r"\s*\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.strip().removeprefix("$ ")
            if line.startswith("dcsim "):
                commands.append(line)
    return commands


def _redirect(argument: str, outs: dict[str, Path]) -> str:
    for given, moved in outs.items():
        if argument == given or argument.startswith(given.rstrip("/") + "/"):
            return str(moved) + argument[len(given.rstrip("/")) :]
    return argument


def small_run(command: str, scratch: Path, reps: str | None = SMALL_REPS) -> list[str]:
    """The arguments after ``dcsim``, with ``reps`` replications and outputs moved into ``scratch``.

    ``scratch`` remembers the output folders moved so far (in ``scratch/.outs``): a later
    command that reads an earlier command's output (``dcsim run results/fit/calibrated.yaml``)
    is pointed at the moved folder too. ``reps=None`` keeps the replications as written.
    """
    words = shlex.split(command.split("#", 1)[0] if " #" in command else command)[1:]
    outs = _known_outs(scratch)
    args: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        option, _, inline = word.partition("=")
        if reps and words[0] in FIT_COMMANDS and option in FIT_OPTIONS:
            index += 1 if inline else 2
            continue
        if option in REPS_OPTIONS + OUT_OPTIONS:
            value = inline or (words[index + 1] if index + 1 < len(words) else "")
            index += 1 if inline else 2
            if option in REPS_OPTIONS:
                value = reps or value
            else:
                moved = scratch / value.strip("/").replace("/", "_")
                outs[value] = moved
                value = str(moved)
            args += [option, value]
            continue
        args.append(_redirect(word, outs))
        index += 1
    if reps and words and words[0] in FIT_COMMANDS:
        for option, value in FIT_OPTIONS.items():
            args += [option, value]
    _remember_outs(scratch, outs)
    return args


def known_outs(scratch: Path) -> dict[str, Path]:
    """Output folders as written in the docs -> where the tests moved them."""
    return _known_outs(scratch)


def _known_outs(scratch: Path) -> dict[str, Path]:
    record = scratch / ".outs"
    if not record.exists():
        return {}
    pairs = (line.split("\t") for line in record.read_text().splitlines() if line)
    return {given: Path(moved) for given, moved in pairs}


def _remember_outs(scratch: Path, outs: dict[str, Path]) -> None:
    scratch.mkdir(parents=True, exist_ok=True)
    (scratch / ".outs").write_text("".join(f"{given}\t{moved}\n" for given, moved in outs.items()))


def run_dcsim(args: list[str], timeout: int = 600) -> subprocess.CompletedProcess:
    """Run ``dcsim`` (as ``python -m sim``, so the test's own environment) from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def test_small_run_rewrites_reps_and_outputs(tmp_path):
    first = small_run("dcsim run scenarios/example/baseline.yaml --reps 200 --out results/base", tmp_path)
    assert first == [
        "run",
        "scenarios/example/baseline.yaml",
        "--reps",
        "4",
        "--out",
        str(tmp_path / "results_base"),
    ]
    later = small_run("dcsim backtest results/base/fit.yaml -n=50 --draws 600", tmp_path)
    moved = str(tmp_path / "results_base" / "fit.yaml")
    assert later == ["backtest", moved, "-n", "4", "--draws", "40", "--forecast-reps", "10"]
    assert small_run("dcsim run a.yaml -n 50", tmp_path, reps=None) == ["run", "a.yaml", "-n", "50"]
    text = "```bash\n# comment\nmake demo\ndcsim compare a.yaml \\\n  b.yaml --reps 10\n```\n"
    text += "```text\ndcsim no\n```"
    assert dcsim_commands(text) == ["dcsim compare a.yaml b.yaml --reps 10"]


def readme_commands() -> list[str]:
    return dcsim_commands(README.read_text()) if README.exists() else []


def test_readme_exists_and_shows_cli_examples():
    assert README.exists(), f"{README} is missing: the README must show the main dcsim commands"
    assert readme_commands(), "README.md has no ```bash block with a `dcsim ...` command"


@pytest.mark.slow
@pytest.mark.parametrize(
    "command",
    [pytest.param(c, id=f"readme-{n}") for n, c in enumerate(readme_commands(), start=1)]
    or ["(README.md missing)"],
)
def test_readme_command_runs(command, tmp_path_factory):
    assert README.exists(), f"{README} is missing"
    scratch = tmp_path_factory.getbasetemp() / "readme"
    finished = run_dcsim(small_run(command, scratch))
    assert finished.returncode == 0, f"{command}\nexit {finished.returncode}\n{finished.stderr[-3000:]}"


def test_readme_links_and_images_resolve():
    assert README.exists(), f"{README} is missing"
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", README.read_text()):
        if not target.startswith(("http://", "https://", "mailto:")):
            assert (ROOT / target).exists(), f"README.md: {target} does not exist"
