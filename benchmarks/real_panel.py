"""Rolling-origin backtest of every method on the public CHS panel (issue 23).

    python benchmarks/real_panel.py [--quick] [--workers N] [--methods a,b] [--reps R]
                                    [--layer compartmental,random_walk] [--data DIR]

Series: every provider x service with a run of at least 10 consecutive usable months and a
median of at least 20 over 18 weeks (``panel_series``). In each run, an origin is fitted on
at most 6 months ending at it (at least 3), and forecast 1-6 months ahead within the run.

Which origins are scored: those in 2024 or later (the Aug 2024-Jul 2025 runs). The 2023
origins (Jan-Oct 2023) are forecast too but only feed the past-error tables of
``conformal_carry_forward`` and of the model-error layer: those tables, at each origin, use
only forecasts whose target month is before it (from any series), so the first scored origin
(Oct 2024) is calibrated on 2023 alone and later ones add the 2024-25 months as they pass.
Every method is scored on the same points.

Scores per method x measure x horizon: n, coverage of the 50% and 80% bands, the mean 80%
interval score (Gneiting & Raftery 2007), the MAE of the median and its MAPE, over points
whose actual is above zero (a zero actual has no percentage error and is left out of MAPE
only). Writes results/real_panel/scores.csv and points.csv (every point, scored or not).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from panel_series import EDGES_WEEKS, Series, default_data_dir, measures, panel_series  # noqa: E402

from calibration import compartmental, model_error, naive  # noqa: E402
from calibration.scoring import HORIZON_SCORE_COLUMNS, horizon_scores  # noqa: E402

MEASURES = ("waiting", "over_18_weeks", "over_52_weeks")
QCOLS = tuple(naive.LEVELS)
ALL_METHODS = (
    "dcsim",
    "carry_forward",
    "drift",
    "seasonal_naive",
    "random_walk",
    "conformal_carry_forward",
    "compartmental",
)
SCORED_FROM = "2024-01"
MAX_FIT, MIN_FIT, MAX_H = 6, 3, 6
QUICK_SERIES, QUICK_SEED = 30, 23
SCORE_COLUMNS = HORIZON_SCORE_COLUMNS


def dcsim_forecast(counts: np.ndarray, months: list[str], horizon: int, seed: int, reps: int) -> dict:
    """The one place dcsim's forecaster is called: band months in, quantiles per measure out."""
    from calibration.from_waits import forecast_from_waits

    draws = forecast_from_waits(counts, months, EDGES_WEEKS, horizon=horizon, seed=seed, reps=reps)
    return {
        m: {k: np.quantile(np.asarray(draws[m]), q, axis=0) for k, q in naive.LEVELS.items()}
        for m in MEASURES
    }


def dcsim_available() -> str | None:
    """None when dcsim's forecaster imports, else why it does not."""
    try:
        from calibration.from_waits import forecast_from_waits  # noqa: F401
    except ImportError as error:
        return f"calibration.from_waits is not importable ({error})"
    return None


def origins(series: Series) -> list[tuple[int, int, int]]:
    """(fit start, origin index, horizons) for every rolling origin in the series' runs."""
    found = []
    for start, stop in series.runs(MIN_FIT + 1):
        for i in range(start + MIN_FIT - 1, stop - 1):
            found.append((max(start, i - MAX_FIT + 1), i, min(MAX_H, stop - 1 - i)))
    return found


def _rows(key, origin, months, method, actual, bands, h, level) -> list[dict]:
    rows = []
    for measure in MEASURES:
        for j in range(h):
            row = {"series": key, "origin": origin, "horizon": j + 1, "target": months[j], "measure": measure}
            row.update({"method": method, "actual": float(actual[measure][j]), "level": level[measure]})
            row.update({k: float(bands[measure][k][j]) for k in QCOLS})
            rows.append(row)
    return rows


def forecast_series(
    series: Series, methods: tuple[str, ...], reps: int, seed: int, forecaster=None
) -> list[dict]:
    """Every method's raw forecasts at every origin of one series (no past tables needed yet)."""
    values = measures(series.counts)
    rows: list[dict] = []
    for a, i, h in origins(series):
        origin, targets = series.months[i], list(series.months[i + 1 : i + 1 + h])
        actual = {m: values[m][i + 1 : i + 1 + h] for m in MEASURES}
        fitted = {m: values[m][a : i + 1] for m in MEASURES}
        level = {m: float(values[m][i]) for m in MEASURES}  # the measure at the origin
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # seasonal_naive falls back on every 6-month window
            for method in methods:
                if method in naive.SIMPLE_METHODS or method == "conformal_carry_forward":
                    name = "carry_forward" if method == "conformal_carry_forward" else method
                    if method == "conformal_carry_forward" and "carry_forward" in methods:
                        continue  # built from carry_forward's rows afterwards
                    bands = {m: naive.SIMPLE_METHODS[name](fitted[m], h) for m in MEASURES}
                    rows += _rows(series.key, origin, targets, name, actual, bands, h, level)
                elif method == "compartmental":
                    bands = compartmental.forecast(series.counts[a : i + 1], EDGES_WEEKS, h)
                    rows += _rows(series.key, origin, targets, method, actual, bands, h, level)
                elif method == "dcsim":
                    call = forecaster or dcsim_forecast
                    bands = call(series.counts[a : i + 1], list(series.months[a : i + 1]), h, seed + i, reps)
                    rows += _rows(series.key, origin, targets, "dcsim_raw", actual, bands, h, level)
    return rows


def _worker(args) -> list[dict]:
    return forecast_series(*args)


def add_conformal(points: pd.DataFrame) -> pd.DataFrame:
    """conformal_carry_forward from carry_forward's rows: at each origin, the band is built from
    the relative errors of forecasts whose target is before that origin (any series)."""
    cf = points[points["method"] == "carry_forward"]
    past = cf.rename(columns={"q50": "forecast"})
    out = []
    for (origin, measure), rows in cf.groupby(["origin", "measure"]):
        errors = naive.relative_errors(past, origin, measure)
        new = rows.copy()
        new["method"] = "conformal_carry_forward"
        for horizon, index in rows.groupby("horizon").indices.items():
            # conformal_band is linear in the last value above 1, so one band per horizon serves all.
            last = rows["q50"].to_numpy(float)[index]
            unit = naive.conformal_band(1.0, errors, int(horizon))
            for k in QCOLS:
                offset = unit[k][horizon - 1] - 1.0
                new.iloc[index, new.columns.get_loc(k)] = np.clip(
                    last + np.maximum(last, 1.0) * offset, 0, None
                )
        out.append(new)
    return pd.concat([points, *out], ignore_index=True) if out else points


def add_layer(
    points: pd.DataFrame, source: str, name: str, combine: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``source``'s forecasts widened by the model-error layer re-estimated at each origin
    from forecasts whose target month is before it; and model error's mean share of the band."""
    raw = points[points["method"] == source]
    past = raw.rename(columns={"q50": "median"})
    out = []
    for origin, group in raw.groupby("origin"):
        table = model_error.estimate(past, origin)
        out.append(model_error.widen_rows(group, table, combine).assign(method=name))
    if not out:
        return points, pd.DataFrame()
    widened = pd.concat(out, ignore_index=True)
    scored = widened[widened["origin"] >= SCORED_FROM]
    shares = scored.groupby(["measure", "horizon"])["model_error_share_80"].mean().unstack("horizon")
    return pd.concat([points, widened.drop(columns="model_error_share_80")], ignore_index=True), shares


def write_default_table(points: pd.DataFrame, path: Path) -> None:
    """dcsim's model-error table from forecasts whose target is before the first scored
    origin: the table new services get, so no month it was estimated from is ever scored."""
    raw = points[points["method"] == "dcsim_raw"].rename(columns={"q50": "median"})
    table = model_error.estimate(raw, SCORED_FROM)
    model_error.write_table(table, path)
    print(f"wrote {path}: model-error table from {len(table.months)} target months "
          f"({table.months[0]} to {table.months[-1]})", file=sys.stderr)


def score_table(points: pd.DataFrame) -> pd.DataFrame:
    """Scores of the scored points per method x measure x horizon (calibration.scoring.horizon_scores)."""
    scored = points[points["origin"] >= SCORED_FROM]
    return horizon_scores(scored.rename(columns={k: "p" + k[1:] for k in QCOLS}))


def target_summary(table: pd.DataFrame, method: str) -> list[str]:
    """Issue 23's targets for ``method`` on the waiting list and over-18 count: met or not."""
    lines = []
    pick = table.set_index(["method", "measure", "horizon"])

    def val(m, measure, h, col):
        return pick.loc[(m, measure, h), col] if (m, measure, h) in pick.index else np.nan

    for measure in ("waiting", "over_18_weeks"):
        hs = sorted(table.loc[(table["method"] == method) & (table["measure"] == measure), "horizon"])
        checks = {
            "80% band covers 75-88% at every horizon": all(
                0.75 <= val(method, measure, h, "coverage_80") <= 0.88 for h in hs
            ),
            "50% band covers 42-58% at every horizon": all(
                0.42 <= val(method, measure, h, "coverage_50") <= 0.58 for h in hs
            ),
            "IS80 below random_walk and compartmental at every horizon": all(
                val(method, measure, h, "interval_score_80")
                < min(val(o, measure, h, "interval_score_80") for o in ("random_walk", "compartmental"))
                for h in hs
            ),
            "IS80 below conformal_carry_forward at 3-6": all(
                val(method, measure, h, "interval_score_80")
                < val("conformal_carry_forward", measure, h, "interval_score_80")
                for h in hs
                if h >= 3
            ),
            "MAE no worse than carry_forward at 1-2": all(
                val(method, measure, h, "mae") <= val("carry_forward", measure, h, "mae")
                for h in hs
                if h <= 2
            ),
            "MAE at least 10% better than carry_forward at 4-6": all(
                val(method, measure, h, "mae") <= 0.9 * val("carry_forward", measure, h, "mae")
                for h in hs
                if h >= 4
            ),
        }
        for text, ok in checks.items():
            lines.append(f"  {method} {measure}: {text}: {'met' if ok and hs else 'NOT met'}")
    return lines


def choose(series: list[Series], quick: bool) -> list[Series]:
    """The whole panel, or for --quick a fixed sample of 30 (fixed seed, so runs compare)."""
    if not quick or len(series) <= QUICK_SERIES:
        return series
    pick = np.random.default_rng(QUICK_SEED).choice(len(series), QUICK_SERIES, replace=False)
    return [series[i] for i in sorted(pick)]


def run(
    data_dir: Path,
    methods: tuple[str, ...],
    quick: bool = False,
    workers: int = 1,
    reps: int = 40,
    seed: int = 2024,
    layer: tuple[str, ...] = (),
    forecaster=None,
    series: list[Series] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Forecast, build the past-error methods, score. Returns (scores, points, notes)."""
    notes: list[str] = []
    chosen = series if series is not None else choose(panel_series(data_dir), quick)
    notes.append(
        f"{len(chosen)} series; origins from {SCORED_FROM} scored, 2023 ones only feed past-error tables"
    )
    if "dcsim" in methods and forecaster is None and (why := dcsim_available()):
        notes.append(f"dcsim skipped: {why}")
        methods = tuple(m for m in methods if m != "dcsim")
    raw_methods = tuple(dict.fromkeys([*methods, *(m for m in layer if m != "dcsim")]))
    tasks = [(s, raw_methods, reps, seed, forecaster) for s in chosen]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            parts = list(pool.map(_worker, tasks, chunksize=4))
    else:
        parts = [_worker(t) for t in tasks]
    points = pd.DataFrame([row for part in parts for row in part])
    if "conformal_carry_forward" in methods:
        points = add_conformal(points)
    if "dcsim" in methods:
        points, shares = add_layer(points, "dcsim_raw", "dcsim", "max")
        if not shares.empty:
            notes.append(
                "dcsim band: mean share of squared half-width from model error\n" + shares.to_string()
            )
    for source in layer:
        for combine in model_error.COMBINE:
            points, shares = add_layer(points, source, f"{source}+error_{combine}", combine)
            if combine == "max" and not shares.empty:
                notes.append(
                    f"{source}+error_max: model error's share of the squared 80% half-width\n"
                    + shares.round(2).to_string()
                )
    points = points[points["method"].isin(methods) | points["method"].str.contains(r"\+error_|dcsim_raw")]
    return score_table(points), points, notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a fixed sample of 30 series")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--methods", default=",".join(ALL_METHODS))
    parser.add_argument("--layer", default="", help="also score these methods with the model-error layer")
    parser.add_argument("--reps", type=int, default=40, help="dcsim replications per origin")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--data", type=Path, default=None, help="the CHS folder (default ../shared/data/chs)")
    parser.add_argument("--out", type=Path, default=HERE.parent / "results" / "real_panel")
    parser.add_argument(
        "--write-table", type=Path, default=None,
        help="also write dcsim's model-error table from the unscored months (targets before "
        f"{SCORED_FROM}), the table from-waits ships",
    )
    args = parser.parse_args(argv)
    data_dir = args.data or default_data_dir()
    if data_dir is None:
        print("real_panel: no CHS data found (../shared/data/chs or $DCSIM_CHS_DATA); nothing to do")
        return 1
    methods = tuple(m for m in args.methods.split(",") if m)
    unknown = set(methods) - set(ALL_METHODS)
    if unknown:
        parser.error(f"unknown methods: {sorted(unknown)}")
    started = time.perf_counter()
    layer = tuple(m for m in args.layer.split(",") if m)
    table, points, notes = run(data_dir, methods, args.quick, args.workers, args.reps, args.seed, layer)
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "scores.csv", index=False)
    if args.write_table is not None:
        write_default_table(points, args.write_table)
    points["scored"] = points["origin"] >= SCORED_FROM
    points.to_csv(args.out / "points.csv", index=False)
    print("\n".join(notes))
    with pd.option_context("display.max_rows", None, "display.width", 200):
        print(table.round(3).to_string(index=False))
    cf = points[
        (points["method"] == "carry_forward") & points["scored"] & (points["measure"] == "over_18_weeks")
    ]
    if not cf.empty:
        rel = (cf["q50"] - cf["actual"]).abs() / cf["actual"].clip(lower=1)
        print(
            "carry_forward over_18_weeks median relative error by horizon:",
            rel.groupby(cf["horizon"]).median().round(3).to_dict(),
        )
    judged = "dcsim" if "dcsim" in set(table["method"]) else None
    print("Issue 23 targets:" if judged else "Issue 23 targets: dcsim not scored, so not judged")
    if judged:
        print("\n".join(target_summary(table, judged)))
    print(f"wrote {args.out / 'scores.csv'} and points.csv in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
