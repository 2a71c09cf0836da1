"""Simulation-based check of forecast bands: do they cover at their nominal rates?

Each trial draws "true" parameters from the fit's prior (uniform over the bounds), runs the
model once at them with a seed the fits never use (the synthetic history), fits on the
first ``k`` months and forecasts the next ``horizon`` (``calibration.backtest`` with one
origin). Pooled over trials, a correct procedure puts about 50% of held-out figures inside
its 50% band and 80% inside its 80% band, and its median should beat the last value carried
forward. ``benchmarks/calibration_coverage.py`` runs many trials and prints the figures;
``tests/test_backtest.py`` runs a few.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd

from calibration.addressing import with_values
from calibration.backtest import backtest
from calibration.scoring import pit_coverage, scores
from sim.engine.config import ServiceConfig
from sim.engine.model import ServiceModel

NCS, REMOVAL = "job_plans.band6.non_clinical_share", "access_policy.validation_removal_rate"
BOUNDS = {NCS: (0.15, 0.5), REMOVAL: (0.0, 0.05)}
TARGETS = {"breaches": "breaches", "waiting": "waiting"}
HISTORY_SEED = 90_000  # histories use seeds the fits never do
# A small children's therapy service whose list is held up by its capacity, so the fitted
# fields show in the series (demand a little above capacity).
SERVICE: dict[str, Any] = {
    "service": {
        "name": "synthetic",
        "start_date": "2024-04-01",
        "horizon_months": 12,
        "rtt_target_weeks": 14,
    },
    "demand": {"monthly_rate": 100, "priorities": {"urgent": 0.1, "routine": 0.9}},
    "triage": {
        "delay_days": {"urgent": 0, "routine": 3},
        "minutes_per_referral": 15,
        "outcomes": {"reject": 0.1, "signpost": 0.1, "specialist": 0.7, "group": 0.1},
    },
    "pathways": {
        "specialist": {
            "first_contact": "assessment",
            "followup": "followup",
            "followups": {"distribution": "poisson", "mean": 3},
            "interval_weeks": 3,
        },
        "group": {
            "first_contact": "group_session",
            "followup": "group_session",
            "followups": {"distribution": "fixed", "mean": 3},
            "interval_weeks": 1,
        },
    },
    "appointment_types": {
        "assessment": {"activity": "new", "minutes": 90, "dna_rate": 0.1},
        "followup": {"activity": "followup", "minutes": 60, "dna_rate": 0.1},
        "group_session": {"activity": "group", "minutes": 120, "dna_rate": 0.1, "group_size": 6},
    },
    "job_plans": {
        "band6": {"activity_split": {"triage": 0.1, "new": 0.35, "followup": 0.45, "group": 0.1}},
        "band4": {"activity_split": {"followup": 0.5, "group": 0.5}, "may_deliver": ["followup", "group"]},
    },
    "workforce": [{"role": "band6", "wte": 3.0}, {"role": "band4", "wte": 1.0}],
    "initial_state": {
        "waiting_list": [
            {"from_weeks": 0, "to_weeks": 10, "count": 120},
            {"from_weeks": 10, "to_weeks": 30, "count": 150},
        ],
        "awaiting_triage": 5,
        "followup_caseload": 40,
    },
}


def synthetic_service(months: int) -> ServiceConfig:
    document = copy.deepcopy(SERVICE)
    document["service"]["horizon_months"] = months
    return ServiceConfig.model_validate(document)


def trial(number: int, k: int = 9, horizon: int = 3, **settings: Any) -> pd.DataFrame:
    """One trial's forecast points (model and naive), with the true values it drew."""
    config = synthetic_service(k + horizon)
    rng = np.random.default_rng(np.random.SeedSequence(HISTORY_SEED, spawn_key=(number,)))
    truth = {path: float(rng.uniform(low, high)) for path, (low, high) in BOUNDS.items()}
    true_config = ServiceConfig.model_validate(with_values(config.model_dump(mode="python"), truth))
    records = ServiceModel(true_config, HISTORY_SEED + number, 0).run()
    history = pd.DataFrame.from_records(records)[["month", *TARGETS]]
    result = backtest(
        config, history, list(BOUNDS), k, seed=number, bounds=BOUNDS, targets=TARGETS,
        horizon=horizon, origins=1, **settings,
    )  # fmt: skip
    detail = result.detail.assign(trial=number, **{f"true {p}": v for p, v in truth.items()})
    return detail


def study(trials: int, first: int = 0, **options: Any) -> pd.DataFrame:
    """Forecast points of ``trials`` trials (see ``trial`` for the options)."""
    return pd.concat([trial(n, **options) for n in range(first, first + trials)], ignore_index=True)


def summary(points: pd.DataFrame) -> pd.DataFrame:
    """Per target: coverage of the model's 50% and 80% bands (with a trial-clustered standard
    error) and of a randomised PIT (``calibration.scoring.pit_coverage``), the 80% band's mean
    width and interval score beside carry-forward's, the model median's MAE, carry-forward's
    MAE, and how often the model's was lower."""
    rows = []
    for target, mine in points.groupby("target"):
        model = mine[mine["method"] == "model"].set_index(["trial", "month"])
        carry = mine[mine["method"] == "carry_forward"].set_index(["trial", "month"])
        y = model["observed"]
        in_50 = (model["p25"] <= y) & (y <= model["p75"])
        in_80 = (model["p10"] <= y) & (y <= model["p90"])
        inside_50, inside_80 = in_50.groupby(level="trial").mean(), in_80.groupby(level="trial").mean()
        low, high = model["pit_low"].to_numpy(), model["pit_high"].to_numpy()
        pit = {
            name: pd.Series(pit_coverage(low, high, alpha), index=model.index).groupby(level="trial").mean()
            for name, alpha in (("50", 0.5), ("80", 0.2))
        }
        error = (model["p50"] - y).abs().groupby(level="trial").mean()
        naive = (carry["p50"] - carry["observed"]).abs().groupby(level="trial").mean()
        whole, naive_whole = scores(model), scores(carry)
        n = len(inside_50)
        # A held-out zero sits inside any band that reaches zero: counts at their floor cover
        # more than the band's nominal share, so coverage is also given without them.
        positive = y > 0
        rows.append(
            {
                "target": target, "trials": n, "points": len(model),
                "coverage_50": inside_50.mean(), "se_50": inside_50.std(ddof=1) / np.sqrt(n),
                "coverage_80": inside_80.mean(), "se_80": inside_80.std(ddof=1) / np.sqrt(n),
                "pit_coverage_50": pit["50"].mean(), "se_pit_50": pit["50"].std(ddof=1) / np.sqrt(n),
                "pit_coverage_80": pit["80"].mean(), "se_pit_80": pit["80"].std(ddof=1) / np.sqrt(n),
                "points_above_0": int(positive.sum()),
                "coverage_50_above_0": float(in_50[positive].mean()),
                "coverage_80_above_0": float(in_80[positive].mean()),
                "width_80": whole["width_80"], "interval_score_80": whole["interval_score_80"],
                "interval_score_80_carry_forward": naive_whole["interval_score_80"],
                "mae_model": error.mean(), "mae_carry_forward": naive.mean(),
                "model_better_share": float((error < naive).mean()),
            }
        )  # fmt: skip
    return pd.DataFrame(rows)
