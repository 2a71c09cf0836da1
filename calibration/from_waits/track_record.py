"""How the forecast did on this service before: earlier origins' bands against what it then reported.

A band is only worth what it has held. Before the forecast from ``up_to`` is read, the same
method is run from each of a few earlier months (each fitted only on months up to it, as if
it were then) and its bands are set beside what the service went on to report, up to
``up_to`` and never after: the track record uses nothing the forecast itself could not see.
The yardsticks are the naive forecasts from the same fitted months (carry-forward, that is
"same as the last month", drift and a random-walk band). Target months the model-error table
was estimated from are left out of the scores, so the error layer is never scored on its own
months.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pandas as pd

from calibration import naive
from calibration.from_waits.bands import load_table, with_model_error
from calibration.from_waits.estimate import fitting_months
from calibration.from_waits.forecast import forecast_summary, origin_levels, simulate
from calibration.scoring import scores
from calibration.waits import BandHistory, WaitsError
from calibration.waits.history import month_index
from sim.reports.board import month_heading

ORIGINS = 6  # earlier origins by default: enough months to count, few enough to be quick
HORIZON = 6  # months forecast from each: the horizons the model-error table covers
COMPARATORS = ("carry_forward", "drift", "random_walk")
MEASURE_WORDS = {"waiting": "Waiting list", "breaches": "Waiting over {target:g} weeks"}
CENTILES = ("p10", "p25", "p50", "p75", "p90")
METHOD_WORDS = {"dcsim": "dcsim (this forecast)", "carry_forward": "same as the last month",
                "drift": "the last months' trend carried on",
                "random_walk": "last month, with a random-walk band"}


@dataclass(frozen=True)
class TrackRecord:
    """Every method's band at every earlier origin and month, the actual figure, and what was left out."""

    points: pd.DataFrame  # origin, month, horizon, measure, method, actual, p10..p90, scored
    origins: tuple[str, ...]
    left_out: tuple[str, ...]  # target months the model-error table was estimated from
    reps: int
    up_to: str


def origin_seed(seed: int, origin: str) -> int:
    """A seed per origin from the run's seed and the month itself, so adding origins changes no other."""
    return int(np.random.SeedSequence([seed, month_index(origin)]).generate_state(1)[0])


def earlier_origins(history: BandHistory, up_to: str, count: int, horizon: int = HORIZON,
                    unscored: tuple[str, ...] = ()) -> list[str]:
    """The latest ``count`` months before ``up_to`` that can be fitted and have a usable month after
    them that is not in ``unscored`` (the model-error table's own months)."""
    usable = history.usable().up_to(up_to).months
    found: list[str] = []
    for origin in reversed(usable[:-1]):
        if len(found) == count:
            break
        ahead = [m for m in usable
                 if 0 < month_index(m) - month_index(origin) <= horizon and m not in unscored]
        try:
            fitting_months(history, origin)
        except WaitsError:
            continue
        if ahead:
            found.append(origin)
    return found[::-1]


def _published(history: BandHistory, target_weeks: float) -> dict[str, pd.Series]:
    usable = history.usable()
    index = pd.Index(list(usable.months))
    return {
        "waiting": pd.Series(usable.totals.astype(float), index=index),
        "breaches": pd.Series(usable.over(target_weeks).astype(float), index=index),
    }


def _rows(origin: str, months: list[str], steps: list[int], measure: str, method: str,
          actual: pd.Series, bands: dict[str, np.ndarray]) -> list[dict]:
    return [
        {"origin": origin, "month": m, "horizon": h, "measure": measure, "method": method,
         "actual": float(actual[m]), **{c: float(bands[c][i]) for c in CENTILES}}
        for i, (m, h) in enumerate(zip(months, steps, strict=True))
    ]


def track_record(
    history: BandHistory, up_to: str, *, origins: int = ORIGINS, horizon: int = HORIZON, reps: int = 100,
    seed: int = 0, target_weeks: float = 18.0, base: dict | None = None,
    model_error: str | None | bool = None,
) -> TrackRecord:
    """dcsim's and the naive forecasts' bands from each earlier origin, against the months
    reported by ``up_to``. ``model_error`` as for ``from_waits``: a table path, None for the
    shipped one, False for none.
    """
    published = _published(history.up_to(up_to), target_weeks)
    table_months: tuple[str, ...] = ()
    if model_error is not False:
        table_months = tuple(load_table(model_error or None)[0].months)
    chosen = earlier_origins(history, up_to, origins, horizon, table_months)
    rows: list[dict] = []
    for origin in chosen:
        months = [m for m in published["waiting"].index
                  if 0 < month_index(m) - month_index(origin) <= horizon]
        steps = [month_index(m) - month_index(origin) for m in months]
        monthly, _, _, _ = simulate(history, origin, max(steps), reps, origin_seed(seed, origin),
                                    target_weeks=target_weeks, base=base)
        summary = _summary(monthly, history, origin, target_weeks, model_error)
        fitted = fitting_months(history, origin)
        for measure, actual in published.items():
            picked = summary.set_index("month").loc[months]
            own = {c: picked[f"{measure}_{c}"].to_numpy(float) for c in CENTILES}
            rows += _rows(origin, months, steps, measure, "dcsim", actual, own)
            values = fitted.totals if measure == "waiting" else fitted.over(target_weeks)
            for method in COMPARATORS:
                band = naive.SIMPLE_METHODS[method](np.asarray(values, float), max(steps))
                at = {c: band["q" + c[1:]][np.asarray(steps) - 1] for c in CENTILES}
                rows += _rows(origin, months, steps, measure, method, actual, at)
    columns = ["origin", "month", "horizon", "measure", "method", "actual", *CENTILES]
    points = pd.DataFrame(rows, columns=columns)
    points["scored"] = ~points["month"].isin(table_months)
    left_out = tuple(sorted(set(points["month"]) & set(table_months)))
    return TrackRecord(points, tuple(chosen), left_out, reps, up_to)


def _summary(monthly: pd.DataFrame, history: BandHistory, origin: str, target_weeks: float,
             model_error: str | None | bool) -> pd.DataFrame:
    summary = forecast_summary(monthly, target_weeks)
    if model_error is False:
        return summary
    levels = origin_levels(history, origin, target_weeks)
    return with_model_error(summary, levels, model_error or None).summary


def score(record: TrackRecord) -> pd.DataFrame:
    """Per method and measure: months scored, 80% and 50% coverage, interval score, the median's MAE."""
    rows = []
    scored = record.points[record.points["scored"]]
    for (measure, method), group in scored.groupby(["measure", "method"], sort=False):
        found = scores(group.rename(columns={"actual": "observed"}))
        rows.append({"measure": measure, "method": method, "months": found["points"],
                     "inside_80": int(round(found["coverage_80"] * found["points"])),
                     "inside_50": int(round(found["coverage_50"] * found["points"])),
                     "coverage_80": found["coverage_80"], "coverage_50": found["coverage_50"],
                     "interval_score_80": found["interval_score_80"], "mae": found["mae"]})
    return pd.DataFrame(rows, columns=["measure", "method", "months", "inside_80", "inside_50",
                                       "coverage_80", "coverage_50", "interval_score_80", "mae"])


def sentences(record: TrackRecord, target_weeks: float) -> list[str]:
    """The track record in plain words: first what was tried, then one sentence per measure."""
    if not record.origins:
        return [f"No track record: no month before {month_heading(record.up_to)} has three usable "
                "months up to it and a reported month after it to score."]
    table = score(record)
    first, last = month_heading(record.origins[0]), month_heading(record.origins[-1])
    lines = [
        f"Track record on this service: the same forecast made from {len(record.origins)} earlier months "
        f"({first} to {last}), each fitted only on what was published by then, against what was reported "
        f"up to {month_heading(record.up_to)}."
    ]
    for measure, words in MEASURE_WORDS.items():
        rows = table[table["measure"] == measure].set_index("method")
        if "dcsim" not in rows.index or not rows.at["dcsim", "months"]:
            continue
        own, flat = rows.loc["dcsim"], rows.loc["carry_forward"]
        n = int(own["months"])
        lines.append(
            f"{words.format(target=target_weeks)}: {int(own['inside_80'])} of {n} months fell inside the "
            f"80% band ({own['coverage_80']:.0%}) and {int(own['inside_50'])} inside the 50% band "
            f"({own['coverage_50']:.0%}); the median was off by {own['mae']:,.0f} on average, "
            f"'same as the last month' by {flat['mae']:,.0f}."
        )
    if record.left_out:
        lines.append("Months the model-error table was estimated from are left out of these scores: "
                     + ", ".join(month_heading(m) for m in record.left_out) + ".")
    return lines


def html_section(record: TrackRecord | None, target_weeks: float) -> str:
    """The report's track-record section: the sentences, then each method's scores."""
    if record is None:
        return ""
    words = "".join(f"<li>{html.escape(line)}</li>" for line in sentences(record, target_weeks))
    table = score(record)
    rows = "".join(
        f"<tr><td>{html.escape(MEASURE_WORDS[r.measure].format(target=target_weeks))}</td>"
        f"<td>{html.escape(METHOD_WORDS[r.method])}</td><td>{r.months}</td><td>{r.coverage_80:.0%}</td>"
        f"<td>{r.coverage_50:.0%}</td><td>{r.interval_score_80:,.0f}</td><td>{r.mae:,.1f}</td></tr>"
        for r in table.itertuples()
    )
    return (
        "<h2>Track record on this service</h2>"
        f"<ul>{words}</ul>"
        "<table><tr><th>measure</th><th>forecast</th><th>months</th><th>inside 80% band</th>"
        "<th>inside 50% band</th><th>80% interval score (lower is better)</th><th>median off by</th></tr>"
        f"{rows}</table><p>Every earlier start's band, month by month, is in track_record.csv.</p>"
    )
