"""The fit's month-to-month check: the reported root-mean-square monthly change against the
same statistic of each replication, over the same pairs of consecutive reported months."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from services import service_config

from calibration.fit import diagnose, fit
from calibration.history import History, month_to_month

MONTHS = ["2024-04", "2024-05", "2024-06", "2024-07", "2024-08"]


def lines(slopes: list[float]) -> pd.DataFrame:
    """Replication r's breaches rise by slopes[r] every month from 100."""
    return pd.DataFrame(
        [
            {"replication": r, "month": month, "breaches": 100 + slope * m}
            for r, slope in enumerate(slopes)
            for m, month in enumerate(MONTHS)
        ]
    )


def history(values: list[float]) -> History:
    frame = pd.DataFrame({"month": MONTHS, "reported": values})
    return History(MONTHS, {"breaches": np.array(values, dtype=float)}, {"breaches": "reported"}, frame)


def test_straight_lines_give_their_slopes_and_the_share_below():
    # A straight line's every change is its slope, so its RMS change is |slope|.
    check = month_to_month(lines([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), history([10, 14, 18, 22, 26])).iloc[0]
    assert check.series == "reported" and check.changes == 4
    assert check.rms_change == pytest.approx(4.0)
    assert check.rms_change_p50 == pytest.approx(5.5)
    assert check.rms_change_p10 == pytest.approx(1.9) and check.rms_change_p90 == pytest.approx(9.1)
    assert check.rms_change_percentile == pytest.approx(40.0)  # slopes 1-4 of ten move no more


def test_only_changes_between_consecutive_reported_months_count():
    # Reported 10, 13, -, 30, 26: the changes are +3 and -4 (June's gap drops May-June and
    # June-July), so the reported RMS is sqrt((9 + 16) / 2); a replication that jumps only
    # between May and July, where nothing was reported, moves not at all on those pairs.
    reported = history([10, 13, np.nan, 30, 26])
    jumpy = pd.DataFrame({"replication": 0, "month": MONTHS, "breaches": [100, 100, 500, 100, 100]})
    check = month_to_month(jumpy, reported).iloc[0]
    assert check.changes == 2
    assert check.rms_change == pytest.approx(np.sqrt(12.5))
    assert check.rms_change_p50 == 0.0 and check.rms_change_percentile == 100.0  # it moves less


def test_too_few_changes_give_no_check():
    assert month_to_month(lines([1, 2]), history([10, 12, np.nan, np.nan, np.nan])).empty


def movement(percentile: float) -> pd.DataFrame:
    return pd.DataFrame(
        [{"series": "breaches", "fitted": True, "months": 4, "coverage_80": 1.0, "rms_change": 9.2,
          "rms_change_p10": 10.3, "rms_change_p50": 19.7, "rms_change_p90": 27.5,
          "rms_change_percentile": percentile}]
    )  # fmt: skip


@pytest.mark.parametrize(
    "percentile, said", [(3.0, "more than the service reported"), (50.0, None), (98.0, "too narrow")]
)
def test_a_reported_movement_in_either_tail_is_warned_of(percentile, said):
    table = pd.DataFrame(columns=["parameter", "share_of_bounds", "estimate", "bound_low", "bound_high"])
    warnings = diagnose(table, pd.DataFrame(), movement(percentile), ess=100.0)
    assert [said in w for w in warnings] == ([True] if said else [])


def test_a_fit_reports_the_check_for_its_fitted_series():
    reported = [40, 45, 52, 60]
    frame = pd.DataFrame({"month": MONTHS[:4], "breaches": reported})
    result = fit(
        service_config(), frame, ["job_plans.band6.non_clinical_share"],
        reps=2, seed=3, draws=20, forecast_reps=10, workers=1,
    )  # fmt: skip
    check = result.checks.set_index("series").loc["breaches"]
    assert check.changes == 3
    assert check.rms_change == pytest.approx(np.sqrt((25 + 49 + 64) / 3))
    assert check.rms_change_p10 <= check.rms_change_p50 <= check.rms_change_p90
    assert 0 <= check.rms_change_percentile <= 100
