"""Staff cost beside effect (#24 item 6): costs from stated pay, per breach avoided and per extra
first contact, refused when a role cannot be costed, and absent unless asked for."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from services import service_document
from typer.testing import CliRunner

from sim.cli import app
from sim.engine.scenario import ConfigError, validate
from sim.questions.compare import compare
from sim.questions.costs import monthly_cost

PAY, ON_COSTS = 43_000, 0.28  # the file's stated Band 6 pay and on-costs
COSTED = {
    "service": {"horizon_months": 12},  # Apr 2024 to Mar 2025
    "workforce": [{"role": "band6", "wte": 2.0}, {"role": "band4", "wte": 1.0}],
    "costs": {"year": "2025/26", "on_cost_share": ON_COSTS, "pay": {"band6": PAY}},
}
ADD_ONE = {"events": [{"date": "2024-10-01", "label": "one more", "add_staff": {"role": "band6", "wte": 1}}]}


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("costs")
    base = folder / "base.yaml"
    base.write_text(yaml.safe_dump(service_document(COSTED), sort_keys=False))
    more = folder / "more.yaml"
    more.write_text(yaml.safe_dump({"title": "One more Band 6", "extends": "base.yaml", **ADD_ONE}))
    return {"base": base, "more": more}


def test_extra_cost_is_one_post_for_the_last_six_months():
    base = validate(service_document(COSTED), "base.yaml")
    more = validate(service_document({**COSTED, **ADD_ONE}), "more.yaml")
    extra = monthly_cost(more)["staff_cost"].sum() - monthly_cost(base)["staff_cost"].sum()
    assert extra == pytest.approx(1 * PAY / 12 * 6 * (1 + ON_COSTS))  # 27,520


def test_default_pay_is_the_band_top_point_with_28_percent_on_costs():
    config = validate(service_document({"workforce": [{"role": "band6", "wte": 1.0}]}), "x.yaml")
    assert monthly_cost(config)["staff_cost"].sum() == pytest.approx(46_580 * 1.28)  # 12 months


@pytest.fixture(scope="module")
def written(files, tmp_path_factory) -> dict[str, Path]:
    outs = {}
    for flag in ("--costs", None):
        out = tmp_path_factory.mktemp("with" if flag else "without")
        args = ["compare", str(files["base"]), str(files["more"]), "--reps", "4", "--seed", "3",
                "--workers", "1", "--out", str(out), *([flag] if flag else [])]
        answer = CliRunner().invoke(app, args)
        assert answer.exit_code == 0, answer.output
        outs[flag or "none"] = out
        outs[f"{flag or 'none'} stdout"] = answer.output
    return outs


def test_cost_per_breach_avoided_is_extra_cost_over_the_paired_fall_in_comparison_csv(written):
    costs = pd.read_csv(written["--costs"] / "costs.csv").set_index("scenario")
    comparison = pd.read_csv(written["--costs"] / "comparison.csv")
    last = comparison[(comparison["scenario"] == "more") & (comparison["month"] == "2025-03")]
    fall = -float(last["breaches_diff_mean"].iloc[0])
    extra = 1 * PAY / 12 * 6 * (1 + ON_COSTS)
    assert costs.loc["more", "extra_cost"] == pytest.approx(extra, rel=1e-5)
    if fall > 0:
        assert costs.loc["more", "cost_per_breach_avoided"] == pytest.approx(extra / fall, rel=1e-4)
    else:
        assert pd.isna(costs.loc["more", "cost_per_breach_avoided"])
    monthly = pd.read_csv(written["--costs"] / "monthly.csv")
    contacts = monthly.pivot_table(
        index="replication", columns="scenario", values="first_contacts", aggfunc="sum"
    )
    gained = (contacts["more"] - contacts["base"]).mean()
    assert costs.loc["more", "extra_first_contacts"] == pytest.approx(gained, rel=1e-5)
    if gained > 0:
        assert costs.loc["more", "cost_per_extra_first_contact"] == pytest.approx(extra / gained, rel=1e-4)
    stdout = written["--costs stdout"]
    assert "Staff cost over the run" in stdout and "£27,520 more than the baseline" in stdout
    assert "Band 6 £43,000 a year (stated)" in stdout


def test_board_table_gets_a_cost_row_only_when_asked(written):
    with_costs = pd.read_csv(written["--costs"] / "board_table.csv")
    without = pd.read_csv(written["none"] / "board_table.csv")
    row = with_costs[with_costs["series"] == "Extra staff cost to date: One more Band 6"]
    assert row["2025-03"].iloc[0] == "£27,520" and row["2024-09"].iloc[0] == "£0"
    pd.testing.assert_frame_equal(with_costs.iloc[: len(without)], without)
    assert "Staff cost beside effect" in (written["--costs"] / "report.html").read_text()


def test_the_api_compares_with_costs_and_its_board_table_has_the_cost_row(files):
    from sim.api import board_table
    from sim.api import compare as api_compare

    result = api_compare([files["base"], files["more"]], reps=2, seed=3, workers=1, costs=True,
                         rests_on=False, model_error=False)
    assert result.costs is not None
    assert result.costs.table.set_index("scenario").loc["more", "extra_cost"] == pytest.approx(27_520)
    board = board_table(result, months=["2025-03"])
    assert board.set_index("series").loc["Extra staff cost to date: One more Band 6", "2025-03"] == "£27,520"
    plain = api_compare([files["base"], files["more"]], reps=2, seed=3, workers=1,
                        rests_on=False, model_error=False)
    assert plain.costs is None and len(board_table(plain, months=["2025-03"])) == len(board) - 1


def test_without_the_flag_nothing_about_costs_is_written(written):
    out = written["none"]
    assert not (out / "costs.csv").exists()
    assert "Extra staff cost" not in (out / "board_table.csv").read_text()
    assert "Staff cost" not in written["none stdout"]
    assert "Staff cost beside effect" not in (out / "report.html").read_text()
    for name in ("comparison.csv", "monthly.csv"):  # the simulation itself is untouched by costing
        assert (out / name).read_bytes() == (written["--costs"] / name).read_bytes()


def test_a_role_with_no_band_and_no_pay_is_refused_when_costs_are_asked():
    document = service_document({
        "job_plans": {"therapist": service_document()["job_plans"]["band6"]},
        "workforce": [{"role": "therapist", "wte": 2.0}],
    })
    config = validate(document, "nameless.yaml")  # fine without costs
    with pytest.raises(ConfigError, match=r"role 'therapist' has no Agenda for Change band .* no stated pay"):
        compare([config], reps=2, workers=1, costs=True)
    stated = validate({**document, "costs": {"pay": {"therapist": 40_000}}}, "stated.yaml")
    assert monthly_cost(stated)["staff_cost"].sum() == pytest.approx(2 * 40_000 * 1.28)


@pytest.mark.parametrize(
    ("costs", "message"),
    [
        ({"salary": {"band6": 1}}, "salary"),
        ({"pay": {"band9x": 50_000}}, "costs.pay: role 'band9x' has no job plan"),
        ({"on_cost_share": 1.5}, "on_cost_share"),
        ({"pay": {"band6": True}}, "not true/false"),
        ({"pay": {"band6": 0}}, "greater than 0"),
    ],
)
def test_costs_block_is_checked_like_every_service_key(costs, message):
    with pytest.raises(ConfigError, match=message):
        validate(service_document({"costs": costs}), "bad.yaml")
