"""Which band a table or chart shows: the one including the model's real-world error, where the
comparison has it, or the simulation's alone, and the words that say which.

A comparison carries model error in two places (``questions.compare``): the manifest's
``model_error`` record (``{"included": False}`` with ``--no-model-error``, or when the explorer's
"Include the model's real-world error" is unticked) and the comparison table's
``<metric>_p10_with_model_error`` / ``_p90_with_model_error`` columns (breaches and waiting only:
the metrics the error table has rows for). Both must say so for a band to include it; nothing here
recomputes a band, it only reads those columns.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.questions.results import error_share
from sim.reports.board import ERROR_WORDS, SIM_WORDS, count_text, low_high, month_heading


def error_bands(comparison: pd.DataFrame | None, manifest: dict | None, metric: str = "breaches"):
    """``comparison`` when its ``metric`` bands include model error (the manifest says it was
    included and the columns are there), else None: the bands shown are the simulation's alone."""
    record = (manifest or {}).get("model_error") or {}
    if comparison is None or not record.get("included"):
        return None
    return comparison if all(c in comparison for c in low_high(metric)) else None


def share_words(comparison: pd.DataFrame, scenario: str, month: str, metric: str = "breaches",
                label: str | None = None) -> str:
    """One sentence: both bands of ``scenario`` in ``month`` and the share of the width from model error."""
    row = comparison[(comparison["scenario"] == scenario) & (comparison["month"] == month)].iloc[0]
    low, high = (float(row[c]) for c in low_high(metric))
    sim_low, sim_high = float(row[f"{metric}_p10"]), float(row[f"{metric}_p90"])
    share = error_share(sim_low, sim_high, low, high)
    return (f"{label or scenario}, {month_heading(month)}: {count_text(low)}-{count_text(high)} with model "
            f"error, {count_text(sim_low)}-{count_text(sim_high)} from the simulation alone: model error is "
            f"{share:.0%} of the band's width.")


def band_note(comparison: pd.DataFrame | None, manifest: dict | None, scenario: str, month: str,
              metric: str = "breaches", label: str | None = None, rows: bool = True) -> str:
    """What the bands shown are, in words: with model error (and its share) or the simulation's alone.

    ``comparison`` is any table of scenario x month bands (a comparison's, a run's summary, a
    portfolio's service or total); ``rows`` says the table beside it has "simulation only" rows."""
    shown = error_bands(comparison, manifest, metric)
    if shown is None:
        record = (manifest or {}).get("model_error") or {}
        why = ("the model's real-world error was not included (--no-model-error)"
               if record.get("included") is False or not record
               else f"no model-error table exists for {metric.replace('_', ' ')}")
        return f"Bands are the middle 80% of simulated futures, {SIM_WORDS}: {why}."
    record = manifest["model_error"]
    table = Path(str(record.get("table", ""))).name
    months = " to ".join(month_heading(m) for m in str(record.get("estimated_on") or "").split(" to ") if m)
    source = f" ({table}, real CHS months {months})" if months else f" ({table})"
    beside = f"; rows marked '{SIM_WORDS}' give the simulation's own band" if rows else ""
    return f"80% bands {ERROR_WORDS}{source}{beside}. " + share_words(shown, scenario, month, metric, label)


def answer_month(result) -> str:
    """The month an answer is given for: the goal's, or the last simulated."""
    return result.goal.month if result.goal is not None else str(result.summary["month"].iloc[-1])


def bands_words(result, labels: dict[str, str] | None = None, metric: str = "breaches") -> str:
    """Which bands a comparison's board and charts show, in words, with the baseline's share of
    the band from model error at the answer's month (the goal's, or the last)."""
    label = (labels or {}).get(result.baseline, result.baseline)
    return band_note(result.comparison, result.manifest, result.baseline, answer_month(result), metric, label)
