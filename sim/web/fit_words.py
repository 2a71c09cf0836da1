"""The Calibrate page's tables and warnings in a planner's words.

The fit reports by the file's dotted settings and its own column names (``p_low``,
``rms_change_p10``, ``coverage_80``) and its warnings name CLI options ("raise --draws"); the
page names settings as the Service page does and warnings name the page's own inputs.
"""

from __future__ import annotations

import re

import pandas as pd

from sim.reports.setting_words import name, plain_paths, setting_name, setting_value
from sim.web.labels import metric_name

CHECK_COLUMNS = {  # the fit's checks -> what a planner reads
    "metric": "simulated measure",
    "fitted": "fitted to",
    "months": "months compared",
    "mae": "average miss",
    "bias": "average bias (simulated minus reported)",
    "coverage_50": "months inside the 25-75% band",
    "coverage_80": "months inside the 10-90% band",
    "changes": "month-to-month changes",
    "rms_change": "reported month-to-month movement",
    "rms_change_p10": "simulated movement: 10th centile",
    "rms_change_p50": "simulated movement: median",
    "rms_change_p90": "simulated movement: 90th centile",
    "rms_change_percentile": "simulated futures moving less",
}
PERCENT_COLUMNS = ("coverage_50", "coverage_80", "rms_change_percentile")
OPTIONS = {  # CLI options in the fit's warnings -> this page's inputs
    "--draws": "'Draws for the ranges'",
    "--reps": "'Replications per evaluation'",
    "--forecast-reps": "'Forecast replications'",
}


def fitted_table(table: pd.DataFrame) -> pd.DataFrame:
    """Each fitted setting: its value before, the fit, the draws' 90% range and the range searched."""

    def value(path: str, number: float) -> str:
        return "" if pd.isna(number) else setting_value(path, float(number))

    rows = []
    for row in table.to_dict("records"):
        path = str(row.get("parameter", ""))
        shown = {"setting": setting_name(path)}
        for column, title in (
            ("before", "before"),
            ("estimate", "fitted"),
            ("median", "median of the draws"),
        ):
            if column in row:
                shown[title] = value(path, row[column])
        if "low" in row and "high" in row:
            shown["90% range"] = f"{value(path, row['low'])} to {value(path, row['high'])}"
        if "bound_low" in row and "bound_high" in row:
            shown["range searched"] = f"{value(path, row['bound_low'])} to {value(path, row['bound_high'])}"
        if "share_of_bounds" in row and pd.notna(row["share_of_bounds"]):
            shown["90% range as a share of the range searched"] = f"{row['share_of_bounds']:.0%}"
        rows.append(shown)
    return pd.DataFrame(rows)


def ranges_table(ranges: pd.DataFrame) -> pd.DataFrame:
    """``calibration.ranges.draw_ranges`` with settings named and values written as the setting is."""
    shown = ranges.copy()
    paths = list(shown["setting"])
    for column in shown.columns[1:]:
        shown[column] = [setting_value(p, float(v)) for p, v in zip(paths, shown[column], strict=True)]
    shown["setting"] = [setting_name(p) for p in paths]
    return shown


def checks_table(checks: pd.DataFrame) -> pd.DataFrame:
    """The fit's checks of the simulated months against the reported ones, columns in words."""
    shown = checks.copy()
    if "series" in shown:
        shown["series"] = [name(s) for s in shown["series"]]
    if "metric" in shown:
        shown["metric"] = [metric_name(m) for m in shown["metric"]]
    if "fitted" in shown:
        shown["fitted"] = ["yes" if f else "no" for f in shown["fitted"]]
    for column in PERCENT_COLUMNS:
        if column in shown:
            shown[column] = [("" if pd.isna(v) else f"{v:.0%}") for v in shown[column]]
    for column in shown.columns:
        if column not in ("series", "metric", "fitted", *PERCENT_COLUMNS) and shown[column].dtype.kind == "f":
            shown[column] = [("" if pd.isna(v) else f"{v:.1f}") for v in shown[column]]
    headers = {"series": "reported figures", **CHECK_COLUMNS}
    return shown.rename(columns=lambda c: headers.get(c, name(c).lower()))


OUTSIDE = re.compile(
    r"^(?P<path>[\w.]+): the best-fitting value (?P<value>\S+) lies outside its posterior range"
)
SERIES = re.compile(r"^(?P<series>[a-z][a-z0-9]*(?:_[a-z0-9]+)*): ")
PLAIN = {  # the fit's own words that have no control on this page -> what a planner can do
    "; widen --bounds": ": the range searched may be too narrow",
    "see docs/modelling-guide.md, Month-to-month variability": (
        "the modelling guide's section on month-to-month variability says why"
    ),
    "more series (waiting, first_contacts)": "more reported figures (waiting, first contacts)",
}


def warning_words(text: str) -> str:
    """A fit warning as the page says it: settings by name and values as the setting is written
    (20%, not 0.1997), reported figures by their names, the page's inputs for CLI options."""
    found = OUTSIDE.match(text)
    if found:  # the value as the setting is written, before the path is replaced by its name
        path, value = found["path"], found["value"]
        try:
            shown = setting_value(path, float(value))
        except ValueError:
            shown = value
        text = f"{path}: the best fit, {shown}, lies outside the 90% range of its draws" + text[found.end() :]
    elif (series := SERIES.match(text)) and "." not in series["series"]:
        text = f"{series_words(series['series'])}: " + text[series.end() :]
    for said, plain in PLAIN.items():
        text = text.replace(said, plain)
    for option, control in OPTIONS.items():
        text = re.sub(rf"raise {re.escape(option)}\b", f"raise {control}", text)
        text = text.replace(option, control)
    text = text.replace("the posterior rests on", "the ranges rest on")
    text = plain_paths(text)
    return text[:1].upper() + text[1:]


def series_words(column: str) -> str:
    """A reported figures column ("projected_breaches") as the fit form names it."""
    return name(column)
