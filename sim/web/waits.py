"""Starting from published waits: choose a series, build its service, keep it in the workspace.

The page (``sim/web/pages/waits.py``) reads the file ``dcsim app --waits PATH`` names or one a
planner uploads, with the readers ``dcsim from-waits`` uses (``calibration.waits``), and builds
the service with ``calibration.from_waits.simulate`` in a background job. What it made becomes
the workspace's service (saved like any edit) with its parameter draws in the workspace store's
draws folder and, in ``Workspace.origin``, the series, its problems, the fit's ranges and the
forecast, so they come back after a reload. Readers' refusals become sentences here: month
names, the uploaded file's own name, no command-line options. No Streamlit here.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from calibration.from_waits.estimate import fitting_months
from calibration.from_waits.forecast import forecast_summary, origin_levels
from calibration.waits import BandHistory, WaitsError, list_series, read_waits
from sim.engine.scenario import ConfigError, validate
from sim.web import labels
from sim.web.jobs import STORE, Job
from sim.web.store import draws_folder
from sim.web.uploads import UPLOAD_LIMIT_MB, safe_name
from sim.web.workspace import Workspace

WAITS_ENV = "DCSIM_APP_WAITS"  # set by `dcsim app --waits PATH`
UPLOADS = Path(tempfile.gettempdir()) / "dcsim-app" / "waits"
MONTH = re.compile(r"\b(\d{4}-(?:0[1-9]|1[0-2]))\b(?!-\d)")
FORECAST = "forecast"  # the forecast's name in charts


def started_with() -> Path | None:
    """The waits file or folder the operator named on the command line, if any."""
    path = os.environ.get(WAITS_ENV)
    return Path(path) if path else None


def keep_upload(name: str, data: bytes, root: Path = UPLOADS) -> Path:
    """An uploaded waits file written under its cleaned name in a folder named by its content.

    The same bytes land at the same path, so the reader's parse cache serves every rerun.
    """
    shown = safe_name(name, "waits.csv")
    limit = UPLOAD_LIMIT_MB * 1_000_000
    if len(data) > limit:
        raise WaitsError(f"{shown}: file too large ({len(data):,} bytes; the limit is {limit:,})")
    path = root / hashlib.sha256(data).hexdigest()[:20] / shown
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.write_bytes(data)
    return path


def sentence(error: Exception, path: Path | None = None) -> str:
    """A reader's refusal as a planner reads it: the file by its name, months as "Mar 2025"."""
    text = str(error)
    if path is not None:
        text = text.replace(str(path), path.name)
    text = re.sub(r"--up-to (\S+?):", r"starting from \1:", text)
    return MONTH.sub(lambda m: labels.month(m[1]), text)


# --- choosing a series -----------------------------------------------------------------------
def series_table(path: Path) -> pd.DataFrame:
    """``list_series`` with ``key`` (what ``read_waits`` takes as provider) and a label to pick by."""
    table = list_series(path)
    table["key"] = table["provider_code"].where(table["provider_code"].notna(), table["provider_name"])
    table["organisation"] = [_organisation(r) for r in table.itertuples()]
    return table


def _organisation(row: Any) -> str:
    """Its name and code, and the kind of body when not a provider ("ENGLAND · (National)")."""
    parts = [x for x in (row.provider_name, row.provider_code) if x]
    kind = f" ({row.org_type})" if row.org_type and row.org_type != "Provider" else ""
    return " · ".join(parts) + kind if parts else "(the file's one series)"


def service_label(row: Any) -> str:
    """A service with how much history it has: "(A) Audiology: 23 months, Jan 2023 to Oct 2025"."""
    span = f"{labels.month(row.first_month)} to {labels.month(row.last_month)}" if row.first_month else ""
    return f"{row.service or 'the series'}: {row.months} months" + (f", {span}" if span else "")


def read_series(path: Path, key: str | None, service: str | None) -> BandHistory:
    return read_waits(path, key or None, service or None)


def problem_sentences(history: BandHistory) -> list[str]:
    """Each data problem the reader found, in month names."""
    return [sentence(p.message) for p in history.problems]


def start_months(history: BandHistory) -> list[str]:
    """Months a service can start from: the end of a run of at least three usable months."""
    good = []
    for month in history.usable().months:
        try:
            fitting_months(history, month)
        except WaitsError:
            continue
        good.append(month)
    return good


def target_choices(history: BandHistory) -> list[float]:
    """Targets the bands can count: their finite edges above zero (a count between edges is refused)."""
    return [e for e in history.edges_weeks if math.isfinite(e) and e > 0]


# --- building ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Request:
    """What the planner asked for: the series, the month to start from and the forecast."""

    file: str  # the file's name as shown (never a path from the browser)
    provider: str | None
    service: str | None
    up_to: str
    target_weeks: float
    horizon: int
    reps: int
    seed: int


@dataclass(frozen=True)
class Built:
    """What ``simulate`` gave, in the forms the page and the workspace keep."""

    document: dict[str, Any]
    draws: pd.DataFrame
    summary: pd.DataFrame
    ranges: dict[str, tuple[float, float, float]]
    fitted_months: tuple[str, ...]
    band_words: tuple[str, ...]  # how much of each band is model error, in sentences
    track_words: tuple[str, ...]  # how the same forecast did from earlier months, in sentences


def build_key(history: BandHistory, request: Request) -> str:
    content = {"request": asdict(request), "months": list(history.months), "counts": history.counts.tolist()}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def start_build(history: BandHistory, request: Request, workers: int | None = None) -> Job:
    """The service and its forecast from ``history`` in a background job (cached by request)."""
    from calibration.from_waits import simulate
    from calibration.from_waits.bands import shares_in_words, with_model_error
    from calibration.from_waits.track_record import sentences, track_record

    def work(job: Job) -> Built:
        try:
            monthly, document, draws, fitted = simulate(
                history, request.up_to, request.horizon, request.reps, request.seed,
                target_weeks=request.target_weeks, workers=workers, progress=job.advance,
            )  # fmt: skip
        except WaitsError as error:
            raise ConfigError(sentence(error, Path(history.source))) from None
        summary = forecast_summary(monthly, request.target_weeks)
        # The same bands as `dcsim from-waits`: the simulation's spread widened by the real-panel error.
        bands = with_model_error(summary, origin_levels(history, request.up_to, request.target_weeks))
        record = track_record(history, request.up_to, reps=request.reps, seed=request.seed,
                              target_weeks=request.target_weeks)
        return Built(document, draws, bands.summary.assign(scenario=FORECAST), fitted.ranges(),
                     tuple(fitted.months), tuple(shares_in_words(bands.sources)),
                     tuple(sentences(record, request.target_weeks)))

    return STORE.start(build_key(history, request), request.reps, work)


def keep_draws(draws: pd.DataFrame) -> Path:
    """The draws as a CSV in the workspace store's draws folder, named by content."""
    text = draws.to_csv(index=False)
    path = draws_folder() / f"{hashlib.sha256(text.encode()).hexdigest()[:20]}.csv"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.write_text(text, encoding="utf-8")
    return path


def adopt(space: Workspace, history: BandHistory, request: Request, built: Built) -> Workspace:
    """The built service as the workspace's, its scenarios kept where they still apply.

    Earlier answers stay, marked out of date (as for any new baseline). A scenario naming what
    this service lacks (a role, an appointment type) no longer validates and is left out; the
    page says which.
    """
    document = {**built.document, "parameter_draws": {"file": str(keep_draws(built.draws)), "use": True}}
    new = Workspace(document, f"published waits in {request.file}")
    new.config()  # the built service validates, or the job's error says why
    new.asked, new.goal, new.actuals = space.asked, space.goal, space.actuals
    for scenario in space.scenarios:
        try:
            validate(new.scenario_document(scenario.name, scenario.events), scenario.name)
        except ConfigError:
            continue
        new.scenarios.append(scenario)
    new.origin = origin(history, request, built)
    return new


def origin(history: BandHistory, request: Request, built: Built) -> dict[str, Any]:
    """JSON-ready record of the series and the fit, for ``Workspace.origin``."""
    return {
        "kind": "published waits",
        **asdict(request),
        "provider_code": history.provider_code,
        "provider_name": history.provider_name,
        "edges_weeks": [None if math.isinf(e) else e for e in history.edges_weeks],
        "months": list(history.months),
        "counts": history.counts.tolist(),
        "totals": history.totals.tolist(),
        "problems": [[p.month, p.kind, p.message] for p in history.problems],
        "fitted_months": list(built.fitted_months),
        "ranges": {k: list(v) for k, v in built.ranges.items()},
        "summary": json.loads(built.summary.to_json(orient="records")),
        "band_words": list(built.band_words),
        "track_words": list(built.track_words),
    }


def summary_of(origin: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(origin["summary"])


# --- the fit in words --------------------------------------------------------------------------
def range_sentences(ranges: dict[str, list[float] | tuple[float, ...]]) -> list[str]:
    """The inferred flows in sentences: median and 90% range."""
    said = {
        "referrals a month": "About {mid} referrals join the list each month (90% range {low} to {high}).",
        "exits a month (seen or removed)": "About {mid} leave it each month, seen or removed "
        "({low} to {high}).",
        "first contacts a month (clock stops)": "Of those, about {mid} are seen for a first contact "
        "({low} to {high}).",
    }
    lines = []
    for name, template in said.items():
        if name in ranges:
            mid, low, high = (labels.number(v) for v in ranges[name])
            lines.append(template.format(mid=mid, low=low, high=high))
    share = ranges.get("share of exits removed unseen")
    if share is not None:
        lines.append(
            f"{share[0]:.0%} of those leaving are taken off the list without being seen ({share[1]:.0%} to "
            f"{share[2]:.0%}): an assumption, as published waits do not say."
        )
    return lines


def exit_rate_table(ranges: dict[str, list[float] | tuple[float, ...]]) -> pd.DataFrame:
    """Share of each band leaving the list a month, bands with one shared rate merged."""
    rows: list[dict[str, Any]] = []
    prefix = "monthly exit rate, "
    for name, (mid, low, high) in ((k, v) for k, v in ranges.items() if k.startswith(prefix)):
        band = name[len(prefix) :]
        if rows and rows[-1]["values"] == (mid, low, high) and not band.startswith("over"):
            rows[-1]["weeks"] = f"{rows[-1]['weeks'].split('-')[0]}-{band.split('-')[1]}"
            continue
        rows.append({"weeks": band, "values": (mid, low, high)})
    return pd.DataFrame(
        {
            "weeks waited": [r["weeks"] for r in rows],
            "leaving each month": [f"{r['values'][0]:.0%}" for r in rows],
            "90% range": [f"{r['values'][1]:.0%} to {r['values'][2]:.0%}" for r in rows],
        }
    )


def reported(history: BandHistory, target: float) -> dict[str, pd.Series]:
    """The published list and count over the target by month, for the forecast chart."""
    index = pd.Index(list(history.months))
    return {
        "waiting": pd.Series(history.totals.astype(float), index=index),
        "breaches": pd.Series(history.over(target).astype(float), index=index),
    }


def as_history(origin: dict[str, Any]) -> BandHistory:
    from sim.web.position import history_of

    return history_of(origin)
