"""What ``dcsim backtest`` on waits says: the console table, the pooled scores, the manifest.

The files are written by ``report.write``. The words give each method's scores pooled over the
horizons; scores.csv has them horizon by horizon.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from calibration.scoring import scores
from calibration.waits_backtest.run import METHODS, WaitsBacktest
from sim.reports.board import month_heading
from sim.runs.files import package_version, source_commit

METHOD_WORDS = {
    "dcsim": "dcsim (fitted from its waits)",
    "carry_forward": "same as the last month",
    "drift": "the fitted months' trend carried on",
    "seasonal_naive": "same month a year before",
    "random_walk": "last month, random-walk band",
    "conformal_carry_forward": "last month, band from the panel's past misses",
    "compartmental": "compartmental flow (NHSRtt method)",
}


def measure_words(measure: str) -> str:
    if measure == "waiting":
        return "Waiting list"
    return "Waiting over " + measure.removeprefix("over_").replace("_", " ")


def pooled(result: WaitsBacktest) -> pd.DataFrame:
    """Per measure and method, the scores pooled over every scored origin and horizon."""
    rows = []
    scored = result.points[result.points["scored"].astype(bool)]
    for measure in result.measures:
        for method in METHODS:
            group = scored[(scored["measure"] == measure) & (scored["method"] == method)]
            row = {"measure": measure, "method": method, "n": len(group)}
            if len(group):
                found = scores(group.rename(columns={"actual": "observed"}))
                y, med = group["actual"].to_numpy(float), group["p50"].to_numpy(float)
                positive = y > 0
                row.update({k: found[k] for k in ("coverage_80", "coverage_50", "interval_score_80", "mae")})
                error = np.abs(med - y)[positive] / y[positive]
                row["mape"] = float(np.mean(error)) if positive.any() else np.nan
            rows.append(row)
    return pd.DataFrame(rows)


def _percent(value: float) -> str:
    return "-" if pd.isna(value) else f"{value:.0%}"


def _number(value: float) -> str:
    return "-" if pd.isna(value) else f"{value:,.1f}" if abs(value) < 10 else f"{value:,.0f}"


def lines(result: WaitsBacktest) -> list[str]:
    """The backtest in plain words: what was done, then one table per measure."""
    history, settings = result.history, result.settings
    who = " ".join(x for x in (history.provider_code, history.provider_name, history.service) if x)
    scored = result.points[result.points["scored"].astype(bool)]
    last = history.usable().months[-1]
    text = [
        f"Backtest of {who or 'the series'} ({history.source}): {len(result.origins)} origins, "
        f"{month_heading(result.origins[0])} to {month_heading(result.origins[-1])}, each fitted on at most "
        f"{settings['fit_months']} months up to it and forecast 1 to {settings['horizon']} months ahead, "
        f"scored against what was published up to {month_heading(last)} "
        f"({scored['origin'].nunique()} origins scored).",
        "A point is one origin's forecast of one published month. "
        "'inside 80%' is the share of points inside the 80% band (a good band: about 80%); "
        "the interval score charges a band's width and twice its misses over 0.2 (lower is better); "
        "'median off by' is the mean absolute error of the median, also as a share of the figure.",
    ]
    table = pooled(result)
    wide = max(len(f"{m}: {w}") for m, w in METHOD_WORDS.items()) + 2
    for measure in result.measures:
        text += ["", f"{measure_words(measure)}:",
                 f"  {'method':<{wide}}{'points':>7}{'inside 80%':>12}{'inside 50%':>12}"
                 f"{'80% interval score':>20}{'median off by':>15}{'as %':>7}"]
        for row in table[table["measure"] == measure].itertuples():
            name = f"{row.method}: {METHOD_WORDS[row.method]}"
            if not row.n:
                text.append(f"  {name:<{wide}}{0:>7}   not available")
                continue
            text.append(f"  {name:<{wide}}{row.n:>7}{_percent(row.coverage_80):>12}"
                        f"{_percent(row.coverage_50):>12}{_number(row.interval_score_80):>20}"
                        f"{_number(row.mae):>15}{_percent(row.mape):>7}")
    if result.notes:
        text += ["", *result.notes]
    return text


def manifest(result: WaitsBacktest) -> dict:
    history = result.history
    return {
        "command": "backtest", "form": "waits", "source": history.source, "provider": history.provider_code,
        "provider_name": history.provider_name, "service": history.service, "origins": list(result.origins),
        "measures": list(result.measures), "methods": list(METHODS), "settings": result.settings,
        "notes": list(result.notes), "version": package_version(), "commit": source_commit(),
        "files": {"scores.csv": "per method, measure and horizon (scored origins only)",
                  "forecasts.csv": "every method's band at every origin and published month after it",
                  "report.html": "the tables and charts as one page",
                  "track_<measure>.png": "each origin's dcsim band against what was published",
                  "scores_by_horizon.png": "coverage and interval score by months ahead, per method"},
    }

