"""Fuzzing: mutated scenario and data files never crash, hang or write half an answer.

Hypothesis mutates the example service files (keys, types, values, text, encodings,
structure) and the example actuals, then runs ``dcsim validate`` and, for a few examples,
a tiny ``dcsim run`` (one replication, twelve months) in-process. Every outcome must be
either exit 0 with valid outputs, or exit 2 with a message naming the file, no traceback
and nothing in ``--out``. The default runs a few dozen examples; the ``slow`` variant
runs hundreds.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from services import EXAMPLE
from typer.testing import CliRunner

from calibration.data import DataError, read_extract, read_monthly
from sim.cli import app

QUICK = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
THOROUGH = settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
SCENARIOS = ["baseline.yaml", "three_band6_posts.yaml", "council_band6.yaml", "backlog_clinic.yaml"]
RUN_ONE_IN = [False] * 7 + [True]  # a run takes seconds: only some examples run one
CONTRACT = ["scenario", "replication", "month", "referrals", "waiting", "breaches", "wait_p92_weeks"]
EXTRACT = (
    "referral_id,referral_date,priority,source,triage_date,triage_outcome,first_contact_date,"
    "followup_contacts,discharge_date\n"
    "R1,2023-01-05,routine,gp,2023-01-10,specialist,2023-03-01,2,2023-04-12\n"
    "R2,2023-02-07,urgent,school,2023-02-08,reject,,,\n"
    "R3,2023-03-01,routine,gp,2023-03-09,specialist,,,\n"
)

HOSTILE = [True, False, None, "", "x", "<script>", "=1+1", "2024-02-30", "2024-13-01", "9999-12-31",
           0, -1, 1, 0.5, 10**12, 10**30, 1e300, float("inf"), float("-inf"), float("nan"),
           [], {}, [[[]]], {"a": {"b": None}}, [1.0] * 12, dt.date(2024, 6, 3)]  # fmt: skip
values = st.one_of(
    st.sampled_from(HOSTILE),
    st.integers(-(10**13), 10**13),
    st.floats(),
    st.text(max_size=12),
    st.dates(),
    st.lists(st.floats(0, 3), max_size=13),
    st.dictionaries(st.text(max_size=8), st.floats(0, 1), max_size=3),
)
cells = st.sampled_from(
    ["", "inf", "nan", "-1", "1e400", "9" * 400, "2024-13", "x,y", '"', "1.5", "2024-02-30", "01/02/2024"]
) | st.text(max_size=12)
raw_text = st.sampled_from(
    [
        "a: &a [1, *a]\n",
        "x: &x [1,1,1,1,1,1,1,1,1]\ny: &y [*x,*x,*x,*x,*x,*x,*x,*x,*x]\nz: [*y,*y,*y,*y,*y,*y,*y,*y,*y]\n",
        "deep: " + "[" * 3000 + "]" * 3000 + "\n",
        "workforce: []\n",
        "extends: /etc/passwd\n",
        "extends: missing.yaml\n",
        "extends: baseline.yaml\n",
        "service: {start_date: 2024-02-30}\n",
        "  - {date: 2099-01-01, validate_list: {share: 0.1}}\n",
        "\t\x00\x01\n",
    ]
) | st.text(max_size=40)


def copy_examples(folder: Path) -> None:
    """The example files, with a twelve-month horizon so that a run is quick."""
    for path in [*EXAMPLE.glob("*.yaml"), EXAMPLE / "actuals.csv"]:
        shutil.copy(path, folder / path.name)
    baseline = folder / "baseline.yaml"
    baseline.write_text(baseline.read_text().replace("horizon_months: 36", "horizon_months: 12"))


def draw_path(data, document: Any) -> list:
    """A random walk from the top of a document to one of its keys or list positions."""
    path: list = []
    node = document
    while isinstance(node, dict | list) and node:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        path.append(data.draw(st.sampled_from(keys)))
        node = node[path[-1]]
        if data.draw(st.booleans()):
            break
    return path


def mutate_document(data, text: str) -> str:
    try:  # an earlier mutation may have left text that is not YAML: change the text instead
        document = yaml.safe_load(text) or {}
    except (yaml.YAMLError, RecursionError, ValueError):  # ValueError: PyYAML on 2024-02-30
        return mutate_text(data, text)
    path = draw_path(data, document)
    if not path:
        return yaml.safe_dump(data.draw(values))
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    action = data.draw(st.sampled_from(["set", "delete", "rename", "add"]))
    if action == "set":
        parent[key] = data.draw(values)
    elif action == "delete":
        del parent[key]
    elif action == "rename" and isinstance(parent, dict):
        parent[data.draw(st.text(max_size=10))] = parent.pop(key)
    elif action == "add" and isinstance(parent, dict):
        parent[data.draw(st.text(max_size=10))] = data.draw(values)
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def mutate_text(data, text: str) -> str:
    lines = text.splitlines(keepends=True)
    where = data.draw(st.integers(0, len(lines)))
    action = data.draw(st.sampled_from(["duplicate", "delete", "insert", "truncate"]))
    if action == "duplicate" and where < len(lines):
        lines.insert(where, lines[where])
    elif action == "delete" and where < len(lines):
        del lines[where]
    elif action == "insert":
        lines.insert(where, data.draw(raw_text))
    else:
        return text[: data.draw(st.integers(0, len(text)))]
    return "".join(lines)


def encode(data, text: str) -> bytes:
    form = data.draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "latin-1", "utf-16", "utf-32", "nul"]))
    if form == "latin-1":
        return text.replace("a", "\xe9", 1).encode("latin-1", errors="replace")
    if form == "nul":
        cut = data.draw(st.integers(0, len(text)))
        return text[:cut].encode() + b"\x00" + text[cut:].encode()
    return text.encode(form, errors="surrogatepass")


def invoke(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{args}: uncaught {result.exception!r}") from result.exception
    return result.exit_code, result.stderr + result.output


def check(args: list[str], files: list[Path], out: Path | None = None) -> int:
    """Exit 0, or exit 2 naming one of ``files``, no traceback and nothing in ``out``."""
    code, text = invoke(args)
    assert code in (0, 2), (code, text)
    assert "Traceback" not in text
    if code == 2:
        assert any(path.name in text for path in files), text
        assert out is None or not out.exists(), list(out.iterdir())
    return code


def check_outputs(out: Path) -> None:
    monthly = pd.read_csv(out / "monthly.csv")
    assert list(monthly.columns[: len(CONTRACT[:3])]) == CONTRACT[:3]
    assert set(CONTRACT) <= set(monthly.columns)
    assert len(monthly) == monthly["month"].nunique() >= 1
    assert (monthly[["referrals", "waiting", "breaches"]] >= 0).all().all()
    assert (out / "summary.csv").stat().st_size > 0 and (out / "manifest.json").stat().st_size > 0


def fuzz_scenario(data) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        copy_examples(folder)
        target = folder / data.draw(st.sampled_from(SCENARIOS))
        text = target.read_text()
        for _ in range(data.draw(st.integers(1, 3))):
            mutate = data.draw(st.sampled_from([mutate_document, mutate_text]))
            text = mutate(data, text)
        target.write_bytes(encode(data, text))
        top = folder / data.draw(st.sampled_from(SCENARIOS)) if target.name == "baseline.yaml" else target
        code = check(["validate", top], [target, top])
        if code == 0 and data.draw(st.sampled_from(RUN_ONE_IN)):
            out = folder / "out"
            args = ["run", top, "--reps", "1", "--seed", "1", "--backend", "serial", "--out", out]
            if check(args, [target, top], out) == 0:
                check_outputs(out)


def fuzz_data(data) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        copy_examples(folder)
        kind = data.draw(st.sampled_from(["actuals", "extract"]))
        path = folder / ("actuals.csv" if kind == "actuals" else "extract.csv")
        text = path.read_text() if kind == "actuals" else EXTRACT
        for _ in range(data.draw(st.integers(1, 3))):
            rows = [line.split(",") for line in text.splitlines()]
            if not rows:
                break
            row = data.draw(st.integers(0, len(rows) - 1))
            column = data.draw(st.integers(0, len(rows[row]) - 1))
            if data.draw(st.booleans()):
                rows[row][column] = data.draw(cells)
                text = "\n".join(",".join(cells) for cells in rows) + "\n"
            else:
                text = mutate_text(data, text)
        path.write_bytes(encode(data, text))
        reader = read_monthly if kind == "actuals" else read_extract
        try:
            reader(path)
        except DataError as error:
            assert str(error).startswith(f"{path}: "), str(error)
            valid = False
        else:
            valid = True
        if kind == "actuals" and (not valid or data.draw(st.sampled_from(RUN_ONE_IN))):
            out = folder / "out"
            args = ["run", folder / "baseline.yaml", "--reps", "1", "--seed", "1", "--backend", "serial"]
            if check([*args, "--actuals", path, "--out", out], [path], out) == 0:
                check_outputs(out)


@QUICK
@given(st.data())
def test_mutated_scenarios_are_run_or_refused_cleanly(data):
    fuzz_scenario(data)


@QUICK
@given(st.data())
def test_mutated_data_files_are_read_or_refused_cleanly(data):
    fuzz_data(data)


@pytest.mark.slow
@THOROUGH
@given(st.data())
def test_many_mutated_scenarios(data):
    fuzz_scenario(data)


@pytest.mark.slow
@THOROUGH
@given(st.data())
def test_many_mutated_data_files(data):
    fuzz_data(data)
