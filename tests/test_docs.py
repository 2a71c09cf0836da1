"""The documentation in docs/ agrees with the code.

- docs/yaml-reference.md is exactly what ``sim.reports.reference`` generates from the schema now;
- its examples (events, sweep) are valid;
- every ```console block (``$ dcsim ...`` then the expected output) prints that output;
- every ```bash ``dcsim``/``.venv/bin/python`` line runs (reps cut down, outputs redirected);
- the walkthrough's YAML snippets are copied from its example files, and links resolve.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pydantic
import pytest
import yaml
from test_readme_examples import ROOT, bash_blocks, dcsim_commands, known_outs, run_dcsim, small_run

from sim.engine.config import ServiceConfig
from sim.engine.events import EVENT_ACTIONS, Event, StaffChange
from sim.engine.sweep import load_scenarios
from sim.reports import reference

DOCS = ROOT / "docs"
REFERENCE = DOCS / "yaml-reference.md"
WALKTHROUGH = DOCS / "how-to-model-my-service.md"
EXAMPLES = DOCS / "examples"
BASELINE = ROOT / "scenarios" / "example" / "baseline.yaml"
CONSOLE = re.compile(r"^```console\n(.*?)^```", re.MULTILINE | re.DOTALL)
YAML_BLOCK = re.compile(r"^```yaml\n(.*?)^```", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def markdown_files() -> list[Path]:
    return sorted(DOCS.glob("*.md"))


# ----- the YAML reference --------------------------------------------------------------------
def test_reference_matches_the_schema():
    committed = REFERENCE.read_text() if REFERENCE.exists() else ""
    assert committed == reference.reference_markdown(), (
        "docs/yaml-reference.md is out of date with sim/engine/config.py: regenerate it with "
        f"`{reference.COMMAND}` and commit the result"
    )


def test_a_schema_change_changes_the_reference():
    extra = pydantic.create_model(
        "Extended",
        __base__=ServiceConfig,
        budget_pounds=(int, pydantic.Field(5, ge=0, le=9, description="Money to spend.")),
    )
    changed = reference.reference_markdown(extra)
    assert changed != reference.reference_markdown()
    assert "| `budget_pounds` |" in changed


def _row(text: str, path: str) -> list[str]:
    line = next(line for line in text.splitlines() if line.startswith(f"| `{path}` |"))
    return [cell.strip() for cell in line.strip("|").split(" | ")]


@pytest.mark.parametrize(
    "path, kind, unit, default, allowed",
    [  # read off sim/engine/config.py by hand
        ("service.horizon_months", "whole number", "months", "`36`", "≥ 1, ≤ 240"),
        ("service.rtt_target_weeks", "number", "weeks", "`14`", "> 0, ≤ 104"),
        ("service.start_date", "date (YYYY-MM-DD)", "", "**required**", ""),
        ("demand.annual_trend", "number", "share per year", "`0.0`", "> -1, ≤ 5"),
        ("job_plans.<role>.sickness_rate", "number", "share of working days", "`0.045`", "≥ 0, ≤ 1"),
        ("job_plans.<role>.hours_per_wte", "number", "hours per week per WTE", "`37.5`", "> 0, ≤ 60"),
        ("access_policy.dna.action", "choice", "", "`rebook`", "`rebook`, `reset_clock`"),
        (
            "appointment_types.<appointment_type>.group_size",
            "whole number",
            "patients per slot",
            "`1`",
            "≥ 1, ≤ 50",
        ),
        (
            "events.<n>.extra_sessions.hours_per_week",
            "number",
            "hours per week",
            "**required**",
            "> 0, ≤ 2000",
        ),
        ("events.<n>.validate_list.share", "number", "share", "**required**", "≥ 0, ≤ 1"),
    ],
)
def test_reference_rows_state_meaning_type_unit_default_and_range(path, kind, unit, default, allowed):
    cells = _row(REFERENCE.read_text(), path)
    assert cells[1], f"{path} has no meaning"
    assert cells[2:] == [kind, unit, default, allowed]


def test_every_field_of_the_schema_has_a_row():
    text = REFERENCE.read_text()
    missing = []

    def walk(model, prefix):
        for name, field in model.model_fields.items():
            if f"{prefix}{name}" not in text:
                missing.append(f"{prefix}{name}")
            for nested in (Event, StaffChange):
                if field.annotation in (nested, nested | None):
                    walk(nested, f"{prefix}{name}.")

    walk(ServiceConfig, "")
    assert not missing
    for section in (
        "extends",
        "sweep",
        "events.<n>.add_staff",
        "events.<n>.remove_staff",
        "events.<n>.extra_sessions",
        "events.<n>.set",
        "events.<n>.validate_list",
        "events.<n>.validation_sweep",
        "events.<n>.recruitment_freeze",
    ):
        assert f"`{section}" in text, section


def test_reference_examples_are_valid(tmp_path):
    events = yaml.safe_load(reference.EVENT_EXAMPLES)["events"]
    actions = {next(k for k in e if k not in ("date", "until", "label")) for e in events}
    assert actions == set(EVENT_ACTIONS)
    for event in events:
        Event.model_validate(event)
    scenario = tmp_path / "events.yaml"
    scenario.write_text(yaml.safe_dump({"extends": str(BASELINE), "events": events}))
    assert len(load_scenarios(scenario)[0].config.events) == len(events)
    for block in YAML_BLOCK.findall(reference.SCENARIO_KEYS):
        document = yaml.safe_load(block)
        document["extends"] = str(BASELINE)
        path = tmp_path / "example.yaml"
        path.write_text(yaml.safe_dump(document))
        assert load_scenarios(path)


# ----- commands shown in the docs ------------------------------------------------------------
def console_examples(text: str) -> list[tuple[str, str]]:
    """(command, expected output) pairs of the ```console blocks."""
    pairs = []
    for block in CONSOLE.findall(text):
        for chunk in re.split(r"^\$ ", block, flags=re.MULTILINE)[1:]:
            command, _, output = chunk.partition("\n")
            pairs.append((command.strip(), output))
    return pairs


def _words(text: str) -> str:
    return " ".join(text.split())


def matches(printed: str, expected: str) -> bool:
    """Whether output matches the docs, whitespace aside; ``...`` in the docs stands for any text."""
    parts = [re.escape(part) for part in _words(expected).split("...")]
    return re.fullmatch(".*?".join(parts), _words(printed), flags=re.DOTALL) is not None


def _shown(output: str, outs: dict[str, Path]) -> str:
    """Output with the moved folders written back as the docs give them."""
    for given, moved in sorted(outs.items(), key=lambda item: -len(str(item[1]))):
        output = output.replace(str(moved), given.rstrip("/"))
    return output


def docs_console_examples() -> list:
    return [
        pytest.param(command, output, id=f"{path.stem}-{number}")
        for path in markdown_files()
        for number, (command, output) in enumerate(console_examples(path.read_text()), start=1)
    ]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    """One folder for every docs command, so a later command finds an earlier one's outputs."""
    return tmp_path_factory.mktemp("docs")


@pytest.fixture(scope="module")
def console_runs(scratch) -> dict[str, tuple[int, str]]:
    """Every console example run once, in page order: command -> (exit code, output as shown).

    Run together up front so that a later example (or a bash line) reading an earlier one's
    output folder finds it, whichever tests are selected.
    """
    runs = {}
    for example in docs_console_examples():
        command = example.values[0]
        finished = run_dcsim(small_run(command, scratch, reps=None))
        runs[command] = (finished.returncode, _shown(finished.stderr + finished.stdout, known_outs(scratch)))
    return runs


@pytest.mark.slow
@pytest.mark.parametrize("command, expected", docs_console_examples())
def test_console_example_prints_what_the_docs_show(command, expected, console_runs):
    assert command.startswith("dcsim "), "console examples must be dcsim commands"
    code, printed = console_runs[command]
    assert matches(printed, expected), f"`{command}` printed:\n{printed}"
    assert code == (2 if expected.startswith("error:") else 0)


def docs_commands() -> list:
    found = []
    for path in markdown_files():
        text = path.read_text()
        commands = dcsim_commands(text) + python_commands(text)
        found += [pytest.param(c, id=f"{path.stem}-{n}") for n, c in enumerate(commands, start=1)]
    return found


def python_commands(text: str) -> list[str]:
    return [
        line.strip()
        for b in bash_blocks(text)
        for line in b.splitlines()
        if line.strip().startswith(".venv/bin/python ")
    ]


@pytest.mark.slow
@pytest.mark.parametrize("command", docs_commands())
def test_bash_example_runs(command, scratch, console_runs):
    if command.startswith(".venv/bin/python "):
        words = [sys.executable, *shlex.split(command)[1:]]
        finished = subprocess.run(words, cwd=ROOT, capture_output=True, text=True, timeout=600)
    else:
        finished = run_dcsim(small_run(command, scratch))
    assert finished.returncode == 0, f"{command}\n{finished.stderr[-3000:]}"


def test_console_matching_allows_elisions_and_rewrapping():
    assert matches("report: a.html (11.6 s)\n  x: 1", "report: a.html (... s) x: 1")
    assert not matches("report: a.html (11.6 s) x: 2", "report: a.html (... s) x: 1")


def test_job_plan_arithmetic_quoted_in_the_modelling_guide():
    # 37.5 h x 60 / 5 clinic days x (1 - 0.30) = 315 clinical minutes per WTE per day
    command = python_commands((DOCS / "modelling-guide.md").read_text())[0]
    words = [sys.executable, *shlex.split(command)[1:]]
    printed = subprocess.run(words, cwd=ROOT, capture_output=True, text=True, timeout=120).stdout
    values = [float(v) for v in re.findall(r"[\d.]+", printed)]
    assert values == pytest.approx([315 * 0.04, 315 * 0.27, 315 * 0.62, 315 * 0.07])
    guide = (DOCS / "modelling-guide.md").read_text()
    for quoted in ("315", "12.6", "85.1", "195.3", "22.1"):
        assert quoted in guide


PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


@pytest.mark.slow
def test_calibration_guide_extract_example_runs(tmp_path):
    from calibration.synthetic_extract import SyntheticService, extract_at, true_history, write_extract

    service = SyntheticService()  # snapshot 2024-04-01, as in the guide
    write_extract(extract_at(true_history(service, seed=5), service.snapshot), tmp_path / "my_extract.csv")
    (code,) = PYTHON_BLOCK.findall((DOCS / "calibration.md").read_text())
    finished = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert finished.returncode == 0, finished.stderr
    fragment = finished.stdout[finished.stdout.index("# Baseline inputs") :]
    document = yaml.safe_load(fragment)
    assert document["service"]["start_date"].isoformat() == "2024-04-01"
    assert {"monthly_rate", "seasonality", "annual_trend"} <= set(document["demand"])
    assert set(document["appointment_types"]) == {"assessment", "followup"}


# ----- the walkthrough and links -------------------------------------------------------------
def test_walkthrough_snippets_are_copied_from_its_example_files():
    sources = "\n".join(p.read_text() for p in EXAMPLES.glob("riverside*.yaml"))
    for block in YAML_BLOCK.findall(WALKTHROUGH.read_text()):
        assert block in sources, f"snippet not in docs/examples/riverside*.yaml:\n{block}"


def test_walkthrough_example_files_validate():
    for name in ("riverside.yaml", "riverside_extra_post.yaml"):
        assert load_scenarios(EXAMPLES / name)


@pytest.mark.parametrize("page", markdown_files(), ids=lambda p: p.name)
def test_links_and_paths_resolve(page):
    text = page.read_text()
    for target in LINK.findall(text):
        if not target.startswith(("http://", "https://", "mailto:")):
            assert (page.parent / target).exists(), f"{page.name}: broken link {target}"
    for path in re.findall(r"`((?:scenarios|docs|calibration|notebooks|sim)/[\w./-]+\.\w+)`", text):
        assert (ROOT / path).exists(), f"{page.name}: {path} does not exist"
