"""The waits backtest's files: scores.csv, forecasts.csv, manifest.json and report.html with its charts.

Two kinds of chart. The track record, one per measure: what the service published, and at each
origin the forecast dcsim made from the months up to it (median and 80% band) beside
carry-forward's median, so a reader sees where the forecasts went and how far off they were.
The scores by horizon: how often each method's 80% band held what was then published, and its
interval score, against the horizon; the 80% line is where an honest band sits.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd

from calibration.report import _image, page
from calibration.waits.history import month_index, month_label
from calibration.waits_backtest.outputs import METHOD_WORDS, lines, manifest, measure_words
from calibration.waits_backtest.run import WaitsBacktest
from sim.reports.plots import month_axis, plain_text
from sim.runs.files import write_figure, write_manifest, write_table, write_text
from sim.runs.staging import staged

# The methods drawn on the horizon chart: dcsim, the naive yardsticks a reader knows, the NHSRtt
# comparator. Drift and the seasonal naive stay in the tables (they crowd the chart).
CHARTED = ("dcsim", "carry_forward", "random_walk", "conformal_carry_forward", "compartmental")
COLOURS = {"dcsim": "#4c72b0", "carry_forward": "#555555", "random_walk": "#dd8452",
           "conformal_carry_forward": "#55a868", "compartmental": "#8172b3"}  # fmt: skip


def _published(result: WaitsBacktest, measure: str) -> pd.Series:
    """The published figure by month, every usable month of the history."""
    usable = result.history.usable()
    if measure == "waiting":
        values = usable.totals
    else:
        values = usable.over(float(measure.removeprefix("over_").removesuffix("_weeks")))
    return pd.Series(np.asarray(values, dtype=float), index=list(usable.months))


@plain_text
def track_chart(result: WaitsBacktest, measure: str, path: Path) -> None:
    """Published figures, and from each origin dcsim's median and 80% band (bars, one colour shade
    per origin so that overlapping forecasts stay apart) with carry-forward's median."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook")
    points = result.points[result.points["measure"] == measure]
    published = _published(result, measure)
    first = min(month_index(m) for m in [*result.origins, *published.index[-12:]])
    last = max(month_index(m) for m in [*points["month"], *published.index])
    months = [month_label(i) for i in range(first, last + 1)]  # a calendar axis: gaps stay gaps
    position = {m: i for i, m in enumerate(months)}
    fig, ax = plt.subplots(figsize=(10, 5.2))
    count = len(result.origins)
    for number, origin in enumerate(result.origins):
        shift = (number - (count - 1) / 2) * min(0.5 / count, 0.12)
        mine = points[(points["origin"] == origin) & (points["method"] == "dcsim")].sort_values("month")
        carried = points[(points["origin"] == origin) & (points["method"] == "carry_forward")]
        x = mine["month"].map(position).to_numpy(float) + shift
        median = mine["p50"].to_numpy(float)
        spread = [median - mine["p10"].to_numpy(float), mine["p90"].to_numpy(float) - median]
        label = "dcsim median and 80% band, from each origin" if not number else None
        ax.errorbar(x, median, yerr=spread, fmt="-o", color=COLOURS["dcsim"], markersize=3, linewidth=1,
                    elinewidth=6, alpha=0.45, label=label)  # fmt: skip
        ax.plot(carried["month"].map(position).to_numpy(float) + shift, carried["p50"], "_",
                color=COLOURS["carry_forward"], markersize=9,
                label="same as the last month" if not number else None)  # fmt: skip
    shown = published[published.index.isin(position)]
    ax.plot(shown.index.map(position), shown.to_numpy(), "o", color="black", markersize=5, label="published")
    for origin in result.origins:
        ax.axvline(position[origin], color="grey", linewidth=0.6, linestyle=":")
    month_axis(ax, months)
    ax.set_ylabel(measure_words(measure))
    ax.set_ylim(bottom=0)
    ax.set_title(f"{measure_words(measure)}: what each origin (dotted line) forecast, and what was published")
    ax.legend(loc="upper left", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


@plain_text
def horizon_chart(result: WaitsBacktest, path: Path) -> None:
    """Per measure, the 80% band's coverage and the mean interval score by horizon, per method."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook")
    measures = list(result.measures)
    fig, axes = plt.subplots(2, len(measures), figsize=(4.2 * len(measures), 7), squeeze=False)
    scores = result.scores[result.scores["n"] > 0]
    for column, measure in enumerate(measures):
        cover, width = axes[0][column], axes[1][column]
        for method in CHARTED:
            rows = scores[(scores["measure"] == measure) & (scores["method"] == method)]
            rows = rows.sort_values("horizon")
            if rows.empty:
                continue
            style = {"color": COLOURS[method], "marker": "o", "linewidth": 2 if method == "dcsim" else 1}
            if method != "carry_forward":  # a point forecast has no band to cover anything
                cover.plot(rows["horizon"], rows["coverage_80"] * 100, **style)
            width.plot(rows["horizon"], rows["interval_score_80"], label=METHOD_WORDS[method], **style)
        cover.axhline(80, color="grey", linestyle="--", linewidth=1)
        cover.set_ylim(0, 105)
        cover.set_title(measure_words(measure))
        cover.set_ylabel("inside the 80% band (%)" if column == 0 else "")
        width.set_ylabel("80% interval score (lower is better)" if column == 0 else "")
        width.set_xlabel("months ahead")
        width.set_ylim(bottom=0)
        for axis in (cover, width):
            axis.set_xticks(range(1, int(result.settings.get("horizon", 6)) + 1))
    axes[1][0].legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


def _text_parts(result: WaitsBacktest) -> list[str]:
    """The console's words as HTML: the opening paragraphs, then each measure's table."""
    text = lines(result)
    parts = [f"<p>{html.escape(line)}</p>" for line in text[:2]]
    table: list[str] = []
    for line in text[2:]:
        if line and not line.startswith(" "):
            if table:
                parts.append("<pre>" + html.escape("\n".join(table)) + "</pre>")
                table = []
            tag = "h3" if line.endswith(":") else "p"
            parts.append(f"<{tag}>{html.escape(line)}</{tag}>")
        elif line:
            table.append(line)
    if table:
        parts.append("<pre>" + html.escape("\n".join(table)) + "</pre>")
    return parts


def write_report(result: WaitsBacktest, folder: Path) -> list[Path]:
    """The charts (PNG) and report.html into ``folder`` (a staging folder: published with the rest)."""
    charts = [
        write_figure(lambda p, m=m: track_chart(result, m, p), folder / f"track_{m}.png")
        for m in result.measures
    ]
    charts.append(write_figure(lambda p: horizon_chart(result, p), folder / "scores_by_horizon.png"))
    history = result.history
    who = " ".join(x for x in (history.provider_code, history.provider_name, history.service) if x)
    parts = [
        *_text_parts(result),
        "<h2>Scores by months ahead</h2>",
        _image(charts[-1]),
        "<h2>Each origin's forecast against what was published</h2>",
        *[_image(chart) for chart in charts[:-1]],
        "<p>scores.csv has every method's scores horizon by horizon; forecasts.csv every band.</p>",
    ]
    report = write_text(page(f"Backtest: {who or 'published waits'}", parts), folder / "report.html")
    return [*charts, report]


def write(result: WaitsBacktest, out: str | Path) -> list[Path]:
    """scores.csv, forecasts.csv, the charts, report.html and manifest.json, published together
    into ``out`` (``sim.runs.staging``): a failure while writing leaves the folder as it was."""
    out = Path(out)
    with staged(out) as folder:
        written = [
            write_table(result.scores, folder / "scores.csv"),
            write_table(result.points, folder / "forecasts.csv"),
            *write_report(result, folder),
        ]
        document = json.loads(json.dumps(manifest(result), default=str))
        written.append(write_manifest(document, folder / "manifest.json"))
    return [out / path.name for path in written]
