"""The model's real-world error on a single run and on a portfolio, by compare's own rule.

``compare`` adds ``<metric>_p10/_p90_with_model_error`` to its table (``compare.with_error_bands``:
each future plus its replication's model-error draw, ``questions.model_error_draws``). A run of
one scenario and a portfolio run get the same columns from the same function, on their summaries,
so ``dcsim run``, ``dcsim run PORTFOLIO.yaml`` and ``dcsim compare`` state one band the same way.

For a portfolio, every service and the total take their draws from the portfolio's run seed: one
model-error path per replication shared by all of them (comonotone). The misses of one provider's
services are not assumed to cancel in the total (independent draws per service would make the
total's band narrower than the evidence supports), and the total's band is then, up to rounding
and the clip at zero, the sum of its services' bands' errors. Each level is the service's own (the
total's: the sum) at the run's start; in a comparison of portfolios the base's, as ``compare``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from sim.questions.compare import error_record, error_table, with_error_bands
from sim.questions.model_error_draws import DEFAULT_TABLE, ErrorQuantiles
from sim.questions.results import PortfolioComparison, error_share
from sim.runs.portfolio import TOTAL, PortfolioResult
from sim.runs.result import RunResult

ModelError = str | Path | bool | None


def answer_record(summary: pd.DataFrame, metric: str = "breaches") -> dict | None:
    """The last month's band both ways and model error's share of its width, for the manifest."""
    low, high = f"{metric}_p10_with_model_error", f"{metric}_p90_with_model_error"
    if low not in summary:
        return None
    last = summary.iloc[-1]
    sim_low, sim_high = float(last[f"{metric}_p10"]), float(last[f"{metric}_p90"])
    return {
        "metric": metric,
        "month": str(last["month"]),
        "median": float(last[f"{metric}_p50"]),
        "p10_with_model_error": float(last[low]),
        "p90_with_model_error": float(last[high]),
        "p10_simulation_only": sim_low,
        "p90_simulation_only": sim_high,
        "model_error_share_of_width": round(
            error_share(sim_low, sim_high, float(last[low]), float(last[high])), 4
        ),
    }


BASE = "__base__"  # the base's rows, stacked in only to set the level (``start_levels``)


def _bands(
    summary: pd.DataFrame,
    monthly: pd.DataFrame,
    errors: ErrorQuantiles,
    seed: int,
    base: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``with_error_bands`` of one run, at its own level or, given ``base``'s monthly rows, the base's."""
    if base is None:
        return with_error_bands(summary, monthly, errors, seed, str(summary["scenario"].iloc[0]))
    stacked = pd.concat([monthly, base.assign(scenario=BASE)], ignore_index=True)
    return with_error_bands(summary, stacked, errors, seed, BASE)  # a left merge: the base rows drop out


def _banded(
    result: RunResult, errors: ErrorQuantiles, seed: int, base: pd.DataFrame | None = None
) -> RunResult:
    summary = _bands(result.summary, result.monthly, errors, seed, base)
    # "shipped": whether a remake needs the table kept beside it (reports may not read the default path).
    shipped = errors.path.resolve() == DEFAULT_TABLE.resolve()
    record = {**error_record(errors), "shipped": shipped, "answer": answer_record(summary)}
    return dataclasses.replace(result, summary=summary, manifest={**result.manifest, "model_error": record})


def run_with_model_error(result: RunResult, model_error: ModelError, seed: int) -> RunResult:
    """``result`` with its summary's model-error band columns and the manifest's ``model_error``
    record (``{"included": False}`` for ``model_error=False``: the summary is left as it was)."""
    errors = error_table(model_error)
    if errors is None:
        return dataclasses.replace(result, manifest={**result.manifest, "model_error": error_record(None)})
    return _banded(result, errors, seed)


def portfolio_with_model_error(
    result: PortfolioResult, model_error: ModelError, base: PortfolioResult | None = None
) -> PortfolioResult:
    """Each service's summary and the total's with the model-error band, all drawn from the
    portfolio's seed (see the module's note); the manifest records it once, with each answer.
    With ``base`` (a comparison's base portfolio) the levels are the base's, as ``compare``'s."""
    errors = error_table(model_error)
    record = error_record(errors)
    if errors is None:
        return dataclasses.replace(result, manifest={**result.manifest, "model_error": record})
    seed = int(result.manifest["seed"])
    services = {
        name: _banded(run, errors, seed, None if base is None else base.services[name].monthly)
        for name, run in result.services.items()
    }
    total = _bands(result.total_summary, result.total, errors, seed, None if base is None else base.total)
    record["draws"] = "one per replication from the portfolio's seed, shared by every service and the total"
    record["answer"] = {
        TOTAL: answer_record(total),
        **{name: run.manifest["model_error"]["answer"] for name, run in services.items()},
    }
    return dataclasses.replace(
        result, services=services, total_summary=total, manifest={**result.manifest, "model_error": record}
    )


def comparison_with_model_error(result: PortfolioComparison, model_error: ModelError) -> PortfolioComparison:
    """A comparison of portfolios with every scenario's services and total banded as one run is,
    and the comparison table's ``*_with_model_error`` columns by service (the base's level)."""
    errors = error_table(model_error)
    record = error_record(errors)
    if errors is None:
        return dataclasses.replace(result, manifest={**result.manifest, "model_error": record})
    base = result.results[result.base]
    results = {
        name: portfolio_with_model_error(run, model_error, None if name == result.base else base)
        for name, run in result.results.items()
    }
    seed = int(result.manifest["seed"])
    parts = []
    for service, rows in result.comparison.groupby("service", sort=False):
        frames = [
            (run.total if service == TOTAL else run.services[service].monthly).assign(scenario=name)
            for name, run in result.results.items()
        ]
        monthly = pd.concat(frames, ignore_index=True)
        banded = with_error_bands(rows, monthly, errors, seed, result.base)
        banded.index = rows.index  # a left merge keeps the rows in order: put them back where they were
        parts.append(banded)
    table = pd.concat(parts).sort_index()
    record["draws"] = "one per replication from the run's seed: the same in every scenario and service"
    return dataclasses.replace(
        result, results=results, comparison=table, manifest={**result.manifest, "model_error": record}
    )
