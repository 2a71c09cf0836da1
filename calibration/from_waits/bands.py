"""The forecast's band with model error in it: how far dcsim's forecasts have missed real services.

The simulation's own spread (replications and parameter draws) is what the future looks like
if the inferred service is right. The shipped table (``model_error_chs.csv``) holds how far
dcsim's medians missed real CHS series at each horizon, as shares of the measure's level at the
forecast origin, estimated on earlier months than any the panel benchmark scores (its header
names them). ``calibration.model_error`` combines the two; this module applies it to a
from-waits summary and says how much of each band is model error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from calibration import model_error
from calibration.waits import WaitsError

DEFAULT_TABLE = Path(__file__).with_name("model_error_chs.csv")
# summary.csv measure -> the table's measure. Breaches at a target other than 18 weeks borrow
# the over-18 errors: the panel publishes no other edge near a therapy target but 12 weeks.
MEASURES = {"waiting": "waiting", "breaches": "over_18_weeks", "over_52_weeks": "over_52_weeks"}
CENTILES = {"p10": "q10", "p25": "q25", "p50": "q50", "p75": "q75", "p90": "q90"}


@dataclass(frozen=True)
class BandSources:
    """The widened summary, per month and measure where each band's width came from, and the table used."""

    summary: pd.DataFrame
    sources: pd.DataFrame  # month, measure, band, own_half_width, model_error_half_width, shares
    table: model_error.ErrorTable
    path: Path


def load_table(path: Path | str | None = None) -> tuple[model_error.ErrorTable, Path]:
    """The model-error table at ``path``, or the shipped CHS panel table."""
    chosen = Path(path) if path is not None else DEFAULT_TABLE
    try:
        table = model_error.read_table(chosen)
    except (OSError, ValueError, KeyError, pd.errors.ParserError) as error:
        raise WaitsError(f"{chosen}: model-error table: {error}") from None
    if not set(table.quantiles["measure"]) & set(MEASURES.values()):
        raise WaitsError(f"{chosen}: model-error table: no rows for {', '.join(MEASURES.values())}")
    return table, chosen


def with_model_error(
    summary: pd.DataFrame, levels: dict[str, float], table_path: Path | str | None = None
) -> BandSources:
    """``summary`` (from-waits columns ``<measure>_p10`` .. ``_p90`` by month) with model error
    added to every band; ``levels`` is each measure's published value at the origin."""
    table, path = load_table(table_path)
    out = summary.copy()
    parts = []
    for name, measure in MEASURES.items():
        if f"{name}_p50" not in summary:
            continue
        own = {q: summary[f"{name}_{p}"].to_numpy(float) for p, q in CENTILES.items()}
        widened, breakdown = model_error.widen(own, table, measure, float(levels[name]))
        for p, q in CENTILES.items():
            out[f"{name}_{p}"] = np.round(widened[q], 2)
        if not breakdown.empty:
            breakdown = breakdown.assign(
                measure=name, month=summary["month"].to_numpy()[breakdown["horizon"].to_numpy() - 1]
            )
            parts.append(breakdown)
    sources = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if not sources.empty:
        sources = sources[
            [
                "month",
                "measure",
                "horizon",
                "band",
                *sources.columns.difference(["month", "measure", "horizon", "band"], sort=False),
            ]
        ]
    return BandSources(out, sources, table, path)


def shares_in_words(sources: pd.DataFrame) -> list[str]:
    """One sentence per measure: model error's share of the 80% band at the first and last month."""
    if sources.empty:
        return []
    words = {"waiting": "the waiting list", "breaches": "breaches", "over_52_weeks": "waits over 52 weeks"}
    lines = []
    eighty = sources[sources["band"] == "80"]
    for measure, rows in eighty.groupby("measure", sort=False):
        first, last = rows.iloc[0], rows.iloc[-1]
        lines.append(
            f"For {words.get(measure, measure)}, model error is {first['model_error_share']:.0%} of "
            f"the 80% band's spread one month ahead and {last['model_error_share']:.0%} at "
            f"{int(last['horizon'])} months; the rest is the simulation's own spread (chance and "
            "parameter draws)."
        )
    return lines
