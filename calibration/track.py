"""Forecast vintages: a saved forecast scored against what its service went on to report.

A vintage is the ``--out`` folder of ``dcsim from-waits`` or ``dcsim run``: its manifest says
when the forecast was made (its origin), for which provider and service, with which seed, and
its summary (or monthly replications) gives the band of each month ahead. ``read_vintage``
reads one back; ``read_reported`` reads what was published since (a published-waits file, as
``calibration.waits.read_waits`` reads it, or a monthly actuals CSV, as
``calibration.data.read_monthly`` does); ``score`` sets each reported month beside the band.

Nothing here prints or writes; ``calibration.track_outputs`` words the answer and writes the
files. Every refusal is a ``TrackError`` naming the file and field.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from calibration.cells import DataError
from calibration.waits.history import month_index, month_label
from calibration.waits.tables import CHS_TOTAL, PLAIN_BAND, PLAIN_OVER

MEASURES = ("waiting", "breaches", "over_52_weeks")
CENTILES = {"p10": 0.10, "p25": 0.25, "p50": 0.50, "p75": 0.75, "p90": 0.90}
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
CONTEXT_MONTHS = 12  # months reported before the forecast, drawn beside it
HEADER_BYTES = 65_536  # enough of a CSV to read its header from
REPORTED, NOT_YET, NOT_USABLE = "reported", "not yet reported", "not usable"
MADE_BY = "the --out folder of dcsim from-waits or dcsim run"


class TrackError(DataError):
    """A forecast cannot be tracked; the message starts with the file and field."""


@dataclass(frozen=True)
class Vintage:
    """A forecast as saved: its band per measure and month, and what it was made from."""

    folder: Path
    manifest: dict
    bands: pd.DataFrame  # measure, month, p10, p25, p50, p75, p90
    origin: str  # the last month known when the forecast was made (YYYY-MM)
    command: str  # from-waits or run
    provider: str | None
    provider_name: str | None
    service: str | None
    target_weeks: float | None
    scenario: str | None = None  # a run's scenario name: what the forecast was of

    @property
    def months(self) -> list[str]:
        return sorted(set(self.bands["month"]))

    @property
    def measures(self) -> list[str]:
        return [m for m in MEASURES if m in set(self.bands["measure"])]


@dataclass(frozen=True)
class Reported:
    """What a service reported, month by month: ``frame`` has month and each measure given (NaN: none)."""

    source: str
    frame: pd.DataFrame
    provider: str | None = None
    provider_name: str | None = None
    service: str | None = None
    unusable: dict[str, str] = field(default_factory=dict)  # month -> why its figures are not used
    notes: tuple[str, ...] = ()


def _json(path: Path) -> dict:
    if not path.is_file():
        raise TrackError(f"{path}: file not found: not a forecast folder ({MADE_BY})")
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise TrackError(f"{path}: (whole file): not readable JSON ({error})") from None
    if not isinstance(content, dict):
        raise TrackError(f"{path}: (whole file): not a dcsim manifest")
    return content


def _table(path: Path, columns: list[str]) -> pd.DataFrame:
    if not path.is_file():
        raise TrackError(f"{path}: file not found: the forecast folder is incomplete ({MADE_BY})")
    try:
        table = pd.read_csv(path, dtype={"month": str})
    except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError) as error:
        raise TrackError(f"{path}: (whole file): not a readable CSV ({error})") from None
    for column in columns:
        if column not in table.columns:
            raise TrackError(f"{path}: {column}: column missing")
    bad = ~table["month"].astype(str).str.fullmatch(MONTH.pattern)
    if bad.any():
        raise TrackError(f"{path}: month: {table['month'][bad].iloc[0]!r} is not a month (YYYY-MM)")
    for column in columns[1:]:
        if not pd.api.types.is_numeric_dtype(table[column]):
            raise TrackError(f"{path}: {column}: not numbers")
    return table


def _summary_bands(folder: Path) -> pd.DataFrame:
    """The from-waits summary's centiles per measure, as published (waiting, breaches, over 52 weeks)."""
    columns = ["month", *[f"{m}_{c}" for m in MEASURES for c in CENTILES]]
    table = _table(folder / "summary.csv", columns)
    parts = []
    for measure in MEASURES:
        part = table[["month", *[f"{measure}_{c}" for c in CENTILES]]].copy()
        part.columns = ["month", *CENTILES]
        parts.append(part.assign(measure=measure))
    return pd.concat(parts, ignore_index=True)


def _replication_bands(folder: Path) -> pd.DataFrame:
    """Centiles of each month across a run's replications (a run's summary holds no 25th or 75th)."""
    path = folder / "monthly.csv"
    head = _table(path, ["month", "waiting", "breaches"])
    if "scenario" in head.columns and head["scenario"].nunique() > 1:
        count = head["scenario"].nunique()
        raise TrackError(f"{path}: scenario: holds {count} scenarios; track one forecast")
    rows = []
    for measure in [m for m in MEASURES if m in head.columns]:
        for month, values in head.groupby("month", sort=True)[measure]:
            centiles = np.quantile(values.to_numpy(float), list(CENTILES.values()))
            rows.append({"month": month, **dict(zip(CENTILES, centiles, strict=True)), "measure": measure})
    return pd.DataFrame(rows)


def read_vintage(folder: str | Path) -> Vintage:
    """A forecast folder read back: its manifest, its bands and where it starts from."""
    folder = Path(folder)
    if not folder.is_dir():
        raise TrackError(f"{folder}: (folder): not found or not a folder; give {MADE_BY}")
    path = folder / "manifest.json"
    manifest = _json(path)
    if manifest.get("command") == "from-waits":
        command, bands = "from-waits", _summary_bands(folder)
        origin = manifest.get("up_to")
        if not isinstance(origin, str) or not MONTH.fullmatch(origin):
            raise TrackError(f"{path}: up_to: {origin!r} is not a month (YYYY-MM)")
        target = manifest.get("target_weeks")
    elif isinstance(manifest.get("scenarios"), dict) and not manifest.get("command"):
        if len(manifest["scenarios"]) != 1:
            raise TrackError(
                f"{path}: scenarios: holds {len(manifest['scenarios'])} scenarios; track one forecast "
                "(a dcsim run folder, not a comparison)"
            )
        command, bands = "run", _replication_bands(folder)
        origin = month_label(month_index(min(bands["month"])) - 1) if len(bands) else None
        target = manifest.get("rtt_target_weeks")
    else:
        made = manifest.get("command")
        raise TrackError(f"{path}: command: {made!r} made no forecast to track; give {MADE_BY}")
    if bands.empty or origin is None:
        raise TrackError(f"{folder}: month: the forecast holds no months")
    bands = bands[bands["month"] > origin][["measure", "month", *CENTILES]].reset_index(drop=True)
    return Vintage(
        folder, manifest, bands, origin, command, _text(manifest.get("provider")),
        _text(manifest.get("provider_name")), _text(manifest.get("service")),
        float(target) if isinstance(target, int | float) else None,
        next(iter(manifest["scenarios"])) if command == "run" else None,
    )


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _columns(path: Path) -> list[str] | None:
    """The header of a CSV file, lower case; None for what is not CSV text (gzip, a workbook, a folder)."""
    if path.is_dir():
        return None
    try:
        with path.open("rb") as handle:
            head = handle.read(HEADER_BYTES)
    except OSError:
        return []  # the reader names what is wrong with the file
    if head.startswith((b"\x1f\x8b", b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        return None
    text = head.decode("utf-8-sig", errors="replace").splitlines()
    return [c.strip().lower() for c in next(csv.reader(text[:1]), [])]


def is_waits_file(path: Path) -> bool:
    """Published waits by weeks band (CHS files, band CSVs), rather than a monthly actuals CSV."""
    columns = _columns(path)
    if columns is None:
        return True
    return CHS_TOTAL in columns or any(PLAIN_BAND.fullmatch(c) or PLAIN_OVER.fullmatch(c) for c in columns)


def read_reported(path: str | Path, provider: str | None, service: str | None,
                  target_weeks: float | None) -> Reported:
    """Reported waiting, breaches at ``target_weeks`` and over 52 weeks, from ``path``.

    From published waits, breaches and 52-week waits are counted from the bands (so the target
    must be a band edge); months the reader flags (bands not summing, a stale repeat) are kept
    out of the scores with the reason. From a monthly actuals CSV, its waiting and breaches
    columns are taken as reported.
    """
    path = Path(path)
    if not path.exists():
        raise TrackError(f"{path}: file not found")
    if not is_waits_file(path):
        from calibration.data import read_monthly

        table = read_monthly(path)
        frame = table[["month", *[m for m in ("waiting", "breaches") if m in table.columns]]]
        return Reported(str(path), frame.reset_index(drop=True))
    from calibration.waits import read_waits

    history = read_waits(path, provider, service)
    table = history.frame()
    frame = pd.DataFrame({"month": table["month"], "waiting": table["total"].astype(float)})
    notes = []
    edges = [e for e in history.edges_weeks if np.isfinite(e)]
    if target_weeks is not None and float(target_weeks) in edges:
        frame["breaches"] = history.over(target_weeks).astype(float)
    else:
        why = "no target recorded" if target_weeks is None else f"{target_weeks:g} weeks is not a band edge"
        notes.append(f"{path}: breaches: not scored ({why})")
    if 52.0 in edges:
        frame["over_52_weeks"] = history.over(52.0).astype(float)
    flagged = history.unusable_months()
    unusable = {  # month -> the reader's reason, without the month it starts with
        p.month: p.message.removeprefix(f"{p.month}: ") for p in history.problems if p.month in flagged
    }
    return Reported(str(path), frame, history.provider_code, history.provider_name, history.service,
                    unusable, tuple(notes))


def _provider_matches(given: str, *known: str | None) -> bool:
    return any(k is not None and given.strip().casefold() == k.strip().casefold() for k in known)


def _service_matches(given: str, known: str) -> bool:
    a, b = given.strip().casefold(), known.strip().casefold()
    return a == b or a in b or b in a  # "Speech" names the one service, as read_waits allows


def check_asked(vintage: Vintage, provider: str | None, service: str | None) -> None:
    """Refuse a --provider or --service other than the forecast's, before anything is read."""
    where = vintage.folder / "manifest.json"
    known = (vintage.provider, vintage.provider_name)
    if provider and vintage.provider and not _provider_matches(provider, *known):
        raise TrackError(
            f"{where}: provider: the forecast is for {vintage.provider}, not {provider!r} (--provider)"
        )
    if service and vintage.service and not _service_matches(service, vintage.service):
        raise TrackError(
            f"{where}: service: the forecast is for {vintage.service!r}, not {service!r} (--service)"
        )


def check_same_service(vintage: Vintage, reported: Reported) -> None:
    """Refuse actuals of another provider or service than the forecast's."""
    if reported.provider and vintage.provider and not _provider_matches(
        vintage.provider, reported.provider, reported.provider_name
    ):
        raise TrackError(
            f"{reported.source}: provider: {reported.provider} is not the forecast's provider "
            f"{vintage.provider} "
            f"({vintage.folder / 'manifest.json'})"
        )
    if reported.service and vintage.service and not _service_matches(reported.service, vintage.service):
        raise TrackError(
            f"{reported.source}: service: {reported.service!r} is not the forecast's service "
            f"{vintage.service!r} ({vintage.folder / 'manifest.json'})"
        )


@dataclass(frozen=True)
class Track:
    """Each forecast month of each measure beside what was reported, and the sums by measure."""

    vintage: Vintage
    reported: Reported
    # measure, month, status, actual, p10..p90, inside_80, inside_50, error, relative_error
    table: pd.DataFrame
    scores: pd.DataFrame  # measure, months, reported, inside_80, inside_50, mean_error, mean_relative_error
    before: pd.DataFrame  # reported months up to the origin, for context in the chart
    beyond: list[str]  # reported months after the forecast's last


def score(vintage: Vintage, reported: Reported) -> Track:
    """Set every forecast month beside the reported figure; refuses when no month can be scored."""
    check_same_service(vintage, reported)
    frame = reported.frame.set_index("month")
    measures = [m for m in vintage.measures if m in frame.columns]
    if not measures:
        raise TrackError(
            f"{reported.source}: columns: none of {', '.join(vintage.measures)} to set against the forecast"
        )
    rows = []
    for band in vintage.bands[vintage.bands["measure"].isin(measures)].itertuples(index=False):
        actual = frame[band.measure].get(band.month, np.nan)
        row = {"measure": band.measure, "month": band.month, "status": NOT_YET, "actual": np.nan,
               **{c: getattr(band, c) for c in CENTILES}}
        if band.month in reported.unusable:
            row["status"] = f"{NOT_USABLE}: {reported.unusable[band.month]}"
        elif pd.notna(actual):
            row.update(status=REPORTED, actual=float(actual))
        rows.append(row)
    table = pd.DataFrame(rows)
    scored = table["status"] == REPORTED
    if not scored.any():
        given = sorted(frame.index[frame[measures].notna().any(axis=1)])
        held = f"its months run {given[0]} to {given[-1]}" if given else "it reports no figures"
        raise TrackError(
            f"{reported.source}: month: no reported month falls in the forecast's months "
            f"{vintage.months[0]} to {vintage.months[-1]} (made at {vintage.origin}); {held}"
        )
    actual = table["actual"]
    table["inside_80"] = ((table["p10"] <= actual) & (actual <= table["p90"])).where(scored)
    table["inside_50"] = ((table["p25"] <= actual) & (actual <= table["p75"])).where(scored)
    table["error"] = (table["p50"] - actual).where(scored)
    table["relative_error"] = (table["error"] / actual.where(actual > 0)).where(scored)
    sums = []
    for measure in measures:
        part = table[table["measure"] == measure]
        done = part[part["status"] == REPORTED]
        sums.append({
            "measure": measure, "months": len(part), "reported": len(done),
            "inside_80": int(done["inside_80"].astype(bool).sum()),  # ints: words say "3 of 4"
            "inside_50": int(done["inside_50"].astype(bool).sum()),
            "mean_error": float(done["error"].mean()) if len(done) else np.nan,
            "mean_relative_error": float(done["relative_error"].mean())
            if done["relative_error"].notna().any() else np.nan,
            "relative_months": int(done["relative_error"].notna().sum()),  # a share of zero is no share
        })
    months = frame.index
    context = [month_label(month_index(vintage.origin) - k) for k in range(CONTEXT_MONTHS - 1, -1, -1)]
    before = frame.reindex(context)[measures].rename_axis("month").reset_index()
    given = before[measures].notna().any(axis=1).to_numpy()
    before = before.iloc[int(given.argmax()) if given.any() else len(before):]  # from the first reported
    beyond = sorted(m for m in months[months > vintage.months[-1]] if frame.loc[m, measures].notna().any())
    return Track(vintage, reported, table, pd.DataFrame(sums), before, beyond)
