"""The backtest's files: scores beside the naive forecasts, month-by-month points, charts, HTML."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from calibration.report import (
    _fit_tables,
    _image,
    _manifest,
    _settings,
    _table,
    _warnings,
    history_chart,
    page,
)
from calibration.results import BacktestResult
from sim.runs.files import write_figure, write_table, write_text
from sim.runs.staging import staged

SCORE_NOTE = (
    "Scored over every origin and held-out month of the requested targets. coverage_50 and "
    "coverage_80: share of figures inside the 25-75% and 10-90% bands (nominal 0.5 and 0.8); "
    "pit_coverage_50 and pit_coverage_80: the same for a randomised PIT, which ties of whole counts "
    "with a band's edge (a zero inside any band reaching zero) do not inflate; "
    "width: mean band width; interval_score (Gneiting & Raftery 2007): band width plus 2/alpha "
    "times any miss, lower is better; mae and bias: of the median (bias > 0 = forecast above). "
    "carry_forward, drift and seasonal_naive are naive forecasts from the same training months."
)


def summary_lines(result: BacktestResult) -> list[str]:
    """The console summary: one line per target and method."""
    lines = [
        f"backtest: {len(result.origins)} origin(s) {result.origins[0]} to {result.origins[-1]}, "
        f"{result.horizon} month(s) ahead"
    ]
    for row in result.scores.itertuples():
        lines.append(
            f"  {row.target:<20} {row.method:<15} {row.points:>3} pts  50%: {row.coverage_50:>4.0%} "
            f"w {row.width_50:7.1f}  80%: {row.coverage_80:>4.0%} w {row.width_80:7.1f}  "
            f"IS80 {row.interval_score_80:7.1f}  MAE {row.mae:6.1f}  bias {row.bias:+6.1f}"
        )
    return lines


def _chart_series(result: BacktestResult, metric: str) -> list[tuple[str, pd.Series, bool]]:
    history = result.fit.history
    series = []
    for fitted_metric, column in history.columns.items():
        if fitted_metric == metric:
            series.append(
                (f"{column} (held out after the line)", history.frame.set_index("month")[column], True)
            )
    return series


def write_backtest(result: BacktestResult, out: Path, config_path: str | Path | None = None) -> list[Path]:
    """Scores, month-by-month points, the first origin's fit, charts and an HTML page.

    Staged in a hidden folder inside ``out`` and moved into place together (``sim.runs.staging``):
    a failure part way leaves ``out`` as it was.
    """
    out = Path(out)
    with staged(out) as folder:
        written = _backtest_files(result, folder, config_path)
    return [out / path.name for path in written]


def _backtest_files(result: BacktestResult, out: Path, config_path: str | Path | None) -> list[Path]:
    fitted = result.fit
    written = [
        write_table(result.scores, out / "backtest_scores.csv"),
        write_table(result.detail, out / "backtest_detail.csv"),
        *_fit_tables(fitted, out, prefix="train_"),
    ]
    cutoff = result.origins[0]
    shown_to = result.test_months[-1]
    charts = [
        write_figure(
            lambda p, m=metric: history_chart(
                fitted.summary, m, _chart_series(result, m), p,
                f"Backtest: fitted to {cutoff} and earlier, forecast after", cutoff, shown_to,
            ),
            out / f"backtest_{metric}.png",
        )
        for metric in dict.fromkeys(result.detail["metric"])
    ]  # fmt: skip
    written += charts
    parts = [
        f"<p>{len(result.origins)} origin(s): fitted on {result.train_months[0]} to {cutoff}, then one "
        f"month more each time up to {result.origins[-1]}; each forecast scored on the next "
        f"{result.horizon} month(s).</p>",
        f"<h2>Scores</h2><p>{SCORE_NOTE}</p>",
        _table(result.scores),
        *[_image(c) for c in charts],
        "<h2>Parameters fitted at the first origin</h2>",
        _table(fitted.table),
        "<h2>Diagnostics (first origin)</h2>",
        _warnings(fitted.warnings),
        "<h2>Settings</h2>",
        _settings(fitted.info),
    ]
    written.append(write_text(page("Backtest report", parts), out / "backtest_report.html"))
    written.append(_manifest(fitted, out, config_path, written))
    return written
