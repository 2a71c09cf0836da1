"""Hostile and absurd input is refused cleanly: `file: field: message`, exit 2, nothing written.

One test (or a few) per category of issue 15's list of inputs that crashed, hung or were
silently accepted. Commands run in-process (typer's CliRunner), so an uncaught exception
shows as ``result.exception`` rather than a traceback on standard error.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from services import EXAMPLE, service_document
from typer.testing import CliRunner

from calibration.data import DataError, read_extract, read_monthly
from sim.cli import app
from sim.engine.input_files import MAX_YAML_BYTES
from sim.engine.scenario import MAX_EXTENDS, ConfigError, load_config
from sim.engine.size_limits import MAX_PATIENTS, MAX_WAIT_WEEKS
from sim.engine.sweep import load_scenarios

GOAL = "breaches<=0 by 2024-12"


def cli(*args: str) -> tuple[int, str]:
    """Exit code and standard error of a command; an uncaught exception fails the test."""
    result = CliRunner().invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"uncaught {result.exception!r}") from result.exception
    return result.exit_code, " ".join(result.stderr.split())


def refused(path: Path, *expected: str) -> str:
    """`dcsim validate path` exits 2 with each expected text in its message."""
    code, message = cli("validate", path)
    assert code == 2, message
    for text in expected:
        assert text in message, message
    return message


def service_text(**changes) -> str:
    return yaml.safe_dump(service_document(changes), sort_keys=False)


def write(tmp_path: Path, text: str | bytes, name: str = "service.yaml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


# ----- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize("date", ["2024-02-30", "2024-13-01", "2023-02-29"])
def test_dates_that_do_not_exist_are_named_by_field(tmp_path, date):
    text = service_text().replace("start_date: '2024-04-01'", f"start_date: {date}")
    refused(write(tmp_path, text), "service.start_date: Input should be a valid date")
    document = service_document()
    document["events"] = [{"date": "2024-06-01", "add_staff": {"role": "band6", "wte": 1}}]
    document["workforce"][0]["start"] = "2024-05-01"
    text = yaml.safe_dump(document).replace("'2024-06-01'", date)
    refused(write(tmp_path, text), "events.0.date: Input should be a valid date")
    text = yaml.safe_dump(document).replace("'2024-05-01'", date)
    refused(write(tmp_path, text), "workforce.0.start: Input should be a valid date")


def test_a_horizon_past_the_year_9999_is_refused(tmp_path):
    path = write(tmp_path, service_text(service={"start_date": "9995-01-01", "horizon_months": 120}))
    refused(path, "service: start_date + horizon_months runs past the year 9999")


# ----- files that are not text, or not files ---------------------------------------------


@pytest.mark.parametrize(
    ("encode", "expected"),
    [
        (
            lambda t: t.replace("name: test", "name: café").encode("latin-1"),
            "line 2: not UTF-8 text (byte 0xe9",
        ),
        (lambda t: t.encode("utf-16"), "UTF-16/32 text; save the file as UTF-8"),
        (lambda t: t.encode("utf-16-le"), "a binary file, not text"),
        (lambda t: bytes(range(256)) * 20, "a binary file, not text"),
    ],
)
def test_files_that_are_not_utf8_text_are_refused(tmp_path, encode, expected):
    path = write(tmp_path, encode(service_text()))
    refused(path, f"{path}: ", expected)


def test_utf8_with_a_byte_order_mark_is_read(tmp_path):
    path = write(tmp_path, "\ufeff".encode() + service_text().encode())
    assert load_config(path).service.name == "test"


def test_devices_folders_pipes_and_huge_files_are_never_read(tmp_path):
    refused(Path("/dev/zero"), "/dev/zero: not a regular file")
    refused(tmp_path, f"{tmp_path}: not a regular file")
    pipe = tmp_path / "pipe.yaml"
    os.mkfifo(pipe)  # opening it would block forever
    refused(pipe, "not a regular file")
    big = write(tmp_path, service_text() + "#" * MAX_YAML_BYTES)
    refused(big, f"larger than {MAX_YAML_BYTES:,} bytes")


def test_values_nested_thousands_deep_are_refused(tmp_path):
    deep = "[" * 5000 + "]" * 5000
    refused(write(tmp_path, service_text() + f"notes: {deep}\n"), "values nested more than 40 deep")
    deep_map = "".join(f"{'  ' * i}k{i}:\n" for i in range(500))
    refused(write(tmp_path, deep_map), "values nested more than 40 deep")


def test_extends_chains_are_capped_and_cycles_found(tmp_path):
    write(tmp_path, service_text(), "f0.yaml")
    for number in range(1, 1001):
        write(tmp_path, f"extends: f{number - 1}.yaml\n", f"f{number}.yaml")
    refused(tmp_path / "f1000.yaml", f"extends: a chain of more than {MAX_EXTENDS} files")
    assert load_config(tmp_path / f"f{MAX_EXTENDS - 1}.yaml").service.name == "test"
    write(tmp_path, "extends: b.yaml\n", "a.yaml")
    write(tmp_path, "extends: a.yaml\n", "b.yaml")
    refused(tmp_path / "a.yaml", "extends: circular chain")


# ----- YAML aliases ---------------------------------------------------------------------------

BOMB = "".join(
    f"x{i}: &x{i} [{', '.join([f'*x{i - 1}'] * 9)}]\n" if i else "x0: &x0 [1, 2, 3, 4, 5, 6, 7, 8, 9]\n"
    for i in range(12)
)


def test_alias_bombs_in_sweep_values_and_set_events_are_refused(tmp_path):
    write(tmp_path, service_text(), "service.yaml")
    bomb = "\n".join(f"  {line}" for line in BOMB.splitlines())
    sweep = write(
        tmp_path,
        f"extends: service.yaml\nbombs:\n{bomb}\nsweep: {{field: demand.multiplier, values: *x11}}\n",
        "s.yaml",
    )
    refused(sweep, "s.yaml: line", "aliases expand to more than 100,000 values")
    event = (
        f"extends: service.yaml\nbombs:\n{bomb}\n"
        "events:\n  - {date: 2024-06-01, set: {demand.seasonality: *x11}}\n"
    )
    refused(write(tmp_path, event, "e.yaml"), "aliases expand to more than 100,000 values")


def test_a_few_aliases_still_work_and_a_self_containing_alias_is_refused(tmp_path):
    document = service_text().replace("band6:\n", "band6: &plan\n", 1) + "\n"
    document = document.replace("  band4:\n", "  band5: *plan\n  band4:\n", 1)
    assert "band5" in load_config(write(tmp_path, document)).job_plans
    refused(write(tmp_path, "a: &a [1, *a]\n"), "an alias refers to a value containing itself")


# ----- sizes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"demand": {"monthly_rate": 1e12}},
            "demand.monthly_rate: Input should be less than or equal to 20000",
        ),
        (
            {"initial_state": {"followup_caseload": 10**10}},
            "initial_state.followup_caseload: Input should be",
        ),
        (
            {"demand": {"monthly_rate": 19_000}, "service": {"horizon_months": 120}},
            "at most 1,000,000 can be",
        ),
        (
            {"demand": {"annual_trend": 5, "multiplier": 50}, "service": {"horizon_months": 120}},
            "referrals and",
        ),
    ],
)
def test_absurd_sizes_are_refused_with_the_bound(tmp_path, change, expected):
    refused(write(tmp_path, service_text(**change)), expected)


def test_a_band_count_of_10_to_the_12_is_refused(tmp_path):
    document = service_document()
    document["initial_state"]["waiting_list"][0]["count"] = 10**12
    refused(write(tmp_path, yaml.safe_dump(document)), "waiting_list.0.count: Input should be less than")
    for band in document["initial_state"]["waiting_list"]:
        band["count"] = MAX_PATIENTS // 2
    refused(write(tmp_path, yaml.safe_dump(document)), f"at most {MAX_PATIENTS:,} can be simulated")



@pytest.mark.parametrize(("field", "value"), [("to_weeks", 1e300), ("to_weeks", 1041), ("from_weeks", 1e300)])
def test_band_edges_past_twenty_years_are_refused(tmp_path, field, value):
    document = service_document()
    band = document["initial_state"]["waiting_list"][-1]
    band[field] = value
    if field == "from_weeks":
        band["to_weeks"] = 2e300
    out = tmp_path / "out"
    path = write(tmp_path, yaml.safe_dump(document))
    message = refused(path, f"initial_state.waiting_list.{len(document['initial_state']['waiting_list']) - 1}"
                      f".{field}: Input should be less than or equal to {MAX_WAIT_WEEKS}")
    assert message.startswith(f"error: {path}: ")
    code, _ = cli("run", path, "--out", out, "--reps", "1")
    assert code == 2 and not out.exists()

@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--step", "1e-9"], "at most 10,000 (use a larger step)"),
        (["--high", "inf"], "--high: inf: must be a finite number"),
        (["--step", "nan"], "--step: nan: must be a finite number"),
        (["--low", "-inf"], "--low: -inf: must be a finite number"),
        (["--confidence", "2"], "--confidence: 2: must be above 0"),
        (["--confidence", "nan"], "--confidence: nan: must be above 0"),
        (["--reps", "0"], "--reps"),
        (["--reps", "1000000"], "--reps"),
        (["--workers", "100000"], "--workers"),
    ],
)
def test_bad_solve_options_exit_2_before_any_output(tmp_path, options, expected):
    path = write(tmp_path, service_text())
    out = tmp_path / "out"
    code, message = cli("solve", path, "--lever", "workforce.0.wte", "--goal", GOAL, "--out", out, *options)
    assert code == 2 and expected in message, message
    assert not out.exists()


def test_an_unknown_backend_exits_2_before_any_output(tmp_path):
    out = tmp_path / "out"
    code, message = cli("run", write(tmp_path, service_text()), "--backend", "nope", "--out", out)
    assert code == 2 and "unknown backend; choose one of" in message and "processes, dask" in message
    assert not out.exists()


def test_a_sweep_of_thousands_of_values_is_refused(tmp_path):
    write(tmp_path, service_text(), "service.yaml")
    values = list(range(1, 5001))
    path = write(
        tmp_path,
        yaml.safe_dump({"extends": "service.yaml", "sweep": {"field": "workforce.0.wte", "values": values}}),
        "s.yaml",
    )
    refused(path, "sweep.values: 5,000 values; at most 100")


# ----- numbers that are not numbers -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("monthly_rate: 60", "demand.monthly_rate: Input should be a finite number"),
        ("minutes_per_referral: 15", "triage.minutes_per_referral: Input should be a finite number"),
    ],
)
@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan"])
def test_non_finite_numbers_are_refused(tmp_path, text, expected, value):
    yaml_text = service_text()
    assert text in yaml_text
    key = text.split(":")[0]
    refused(write(tmp_path, yaml_text.replace(text, f"{key}: {value}")), expected)


def test_non_finite_multiplier_seasonality_and_set_values_are_refused(tmp_path):
    seasonality = [1.0] * 11 + [float("inf")]
    refused(
        write(tmp_path, service_text(demand={"seasonality": seasonality})),
        "demand.seasonality.11: Input should be a finite",
    )
    refused(
        write(tmp_path, service_text(demand={"multiplier": float("nan")})),
        "demand.multiplier: Input should be a finite",
    )
    document = service_document()
    document["events"] = [{"date": "2024-06-01", "set": {"demand.multiplier": float("inf")}}]
    refused(
        write(tmp_path, yaml.safe_dump(document)), "events.0.set.demand.multiplier: Input should be a finite"
    )


def test_booleans_are_refused_where_numbers_belong(tmp_path):
    document = service_document()
    document["workforce"][0]["wte"] = True
    refused(write(tmp_path, yaml.safe_dump(document)), "workforce.0.wte: expected a number, not true/false")
    refused(
        write(tmp_path, service_text(demand={"seasonality": [True] * 12})),
        "demand.seasonality: expected a number",
    )
    refused(
        write(tmp_path, service_text(demand={"sources": {"gp": True}})), "demand.sources: expected a number"
    )
    refused(
        write(tmp_path, service_text(service={"horizon_months": True})), "service.horizon_months: expected a"
    )
    assert (
        load_config(write(tmp_path, service_text(service={"bank_holidays": False}))).service.bank_holidays
        is False
    )


# ----- silently resolved -------------------------------------------------------------------------


def test_duplicate_keys_are_refused_naming_key_and_line(tmp_path):
    text = service_text()
    workforce = text[text.index("workforce:") : text.index("initial_state:")]
    path = write(tmp_path, text + workforce)
    line = text[: text.index("workforce:")].count("\n") + 1
    refused(
        path,
        f"{path}: line {text.count(chr(10)) + 1}: duplicate key 'workforce' (first given on line {line})",
    )
    nested = text.replace("  monthly_rate: 60\n", "  monthly_rate: 60\n  monthly_rate: 70\n")
    refused(write(tmp_path, nested), "duplicate key 'monthly_rate'")


@pytest.mark.parametrize(
    "bands",
    [
        [{"from_weeks": 0, "to_weeks": 10, "count": 5}, {"from_weeks": 8, "to_weeks": 20, "count": 5}],
        [{"from_weeks": 0, "to_weeks": 10, "count": 5}, {"from_weeks": 0, "to_weeks": 10, "count": 5}],
        [{"from_weeks": 10, "to_weeks": 20, "count": 5}, {"from_weeks": 0, "to_weeks": 30, "count": 5}],
    ],
)
def test_overlapping_or_repeated_bands_are_refused(tmp_path, bands):
    document = service_document()
    document["initial_state"]["waiting_list"] = bands
    refused(write(tmp_path, yaml.safe_dump(document)), "initial_state.waiting_list: entry", "overlaps entry")


def test_touching_bands_are_accepted_in_any_order(tmp_path):
    document = service_document()
    document["initial_state"]["waiting_list"].reverse()
    assert load_config(write(tmp_path, yaml.safe_dump(document)))


def test_an_event_after_the_horizon_is_refused(tmp_path):
    document = service_document()  # twelve months from 2024-04-01
    document["events"] = [{"date": "2025-04-01", "add_staff": {"role": "band6", "wte": 1}}]
    refused(
        write(tmp_path, yaml.safe_dump(document)),
        "events.0: 2025-04-01 is after the horizon, which ends 2025-03-31",
    )
    document["events"][0]["date"] = "2025-03-31"
    assert load_config(write(tmp_path, yaml.safe_dump(document)))


def test_actuals_wholly_outside_the_horizon_are_refused_before_running(tmp_path):
    actuals = write(tmp_path, "month,breaches\n2019-01,5\n2019-02,6\n", "actuals.csv")
    out = tmp_path / "out"
    code, message = cli(
        "run", write(tmp_path, service_text()), "--reps", "1", "--actuals", actuals, "--out", out
    )
    assert code == 2, message
    assert (
        f"{actuals}: column month: 2019-01 to 2019-02 lie wholly outside the simulated months "
        "2024-04 to 2025-03" in message
    )
    assert not out.exists()


# ----- extends ------------------------------------------------------------------------------------


def test_extends_to_a_missing_file_names_the_referring_file(tmp_path):
    path = write(tmp_path, "extends: nowhere.yaml\n", "s.yaml")
    refused(path, f"{path}: extends: nowhere.yaml: file not found")


def test_extends_may_not_leave_the_scenario_tree(tmp_path, monkeypatch):
    outside = write(tmp_path, service_text(), "outside/service.yaml")
    scenario = write(tmp_path, "extends: ../outside/service.yaml\n", "tree/s.yaml")
    monkeypatch.chdir(tmp_path / "tree")
    refused(scenario, f"{scenario}: extends: ../outside/service.yaml: outside the scenario's folder")
    refused(write(tmp_path, "extends: /etc/passwd\n", "tree/p.yaml"), "extends: /etc/passwd: outside")
    (tmp_path / "tree" / "link.yaml").symlink_to(outside)
    refused(write(tmp_path, "extends: link.yaml\n", "tree/l.yaml"), "extends: link.yaml: outside")
    monkeypatch.setenv("DCSIM_EXTENDS_ROOT", str(tmp_path / "outside"))
    assert load_config(scenario).service.name == "test"


def test_extends_within_the_working_folder_is_allowed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, service_text(), "scenarios/service.yaml")
    fitted = write(tmp_path, "extends: ../../scenarios/service.yaml\n", "results/fit/calibrated.yaml")
    assert load_config(Path("results/fit/calibrated.yaml")).service.name == "test"
    assert load_scenarios(fitted)[0].name == "calibrated"


# ----- data files ---------------------------------------------------------------------------------


def data_error(path: Path, reader=read_monthly) -> str:
    with pytest.raises(DataError) as caught:
        reader(path)
    return str(caught.value)


def test_data_files_with_bad_bytes_name_row_and_column(tmp_path):
    text = "month,breaches,waiting\n2024-04,5,10\n2024-05,6,1\xe90\n"
    path = write(tmp_path, text.encode("latin-1"), "m.csv")
    assert (
        data_error(path)
        == f"{path}: row 3, column waiting: not UTF-8 text (byte 0xe9; Latin-1 or Windows text? "
        "save as CSV UTF-8)"
    )
    path = write(tmp_path, "month,breaches\n2024-04,5\n".encode("utf-16"), "u.csv")
    assert "UTF-16/32 text" in data_error(path)
    path = write(tmp_path, b"month,breaches\n2024-04,5\x00\n", "b.csv")
    assert data_error(path).startswith(f"{path}: row 2, column breaches: a binary file")


def test_data_files_that_are_devices_huge_or_badly_numbered(tmp_path):
    assert "not a regular file" in data_error(Path("/dev/zero"))
    assert "not a regular file" in data_error(Path("/dev/zero"), read_extract)
    path = write(tmp_path, "month,breaches\n2024-04," + "9" * 200_000 + "\n", "long.csv")
    assert data_error(path) == f"{path}: row 2: not readable as CSV: field larger than field limit (131072)"
    path = write(tmp_path, "month,breaches,waiting\n2024-04,1e15,inf\n2024-05,nan,5\n", "n.csv")
    message = data_error(path)
    assert f"{path}: row 2, column breaches: 1e15 is larger than 1,000,000,000" in message
    assert f"{path}: row 2, column waiting: not a number: 'inf'" in message
    assert f"{path}: row 3, column breaches: not a number: 'nan'" in message


def test_the_cli_reports_bad_actuals_and_writes_nothing(tmp_path):
    actuals = write(tmp_path, b"month,breaches\n2024-04,\xff\n", "a.csv")
    out = tmp_path / "out"
    code, message = cli(
        "run", write(tmp_path, service_text()), "--reps", "1", "--actuals", actuals, "--out", out
    )
    assert code == 2 and f"{actuals}: row 2, column breaches: not UTF-8 text" in message
    code, message = cli(
        "run", write(tmp_path, service_text()), "--reps", "1", "--actuals", "/dev/zero", "--out", out
    )
    assert code == 2 and "/dev/zero: not a regular file" in message
    assert not out.exists()


def test_the_example_files_still_load():
    for path in sorted(EXAMPLE.glob("*.yaml")):
        assert load_scenarios(path)
    with pytest.raises(ConfigError):
        load_config(Path("/nonexistent/file.yaml"))


def test_the_reference_states_the_limits_the_code_applies():
    from sim.questions.sensitivity import MAX_VARY
    from sim.questions.solve import MAX_GRID
    from sim.reports.reference import reference_markdown
    from sim.runs.limits import MAX_REPS

    text = " ".join(reference_markdown().split())
    phrases = [f"`--reps` at most {MAX_REPS:,}", f"at most {MAX_GRID:,} grid values", "DCSIM_EXTENDS_ROOT"]
    phrases += [f"at most {MAX_VARY} `--vary` fields"]  # written out: reports may not import questions
    phrases += [f"at most {MAX_PATIENTS:,} referrals and patients", f"at most {MAX_YAML_BYTES:,} bytes"]
    for phrase in phrases:
        assert phrase in text, phrase
