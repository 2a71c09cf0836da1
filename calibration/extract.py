"""Reading a patient-level extract (one row per referral): every cell checked, bad rows listed.

Patient rows that are readable but internally inconsistent are excluded and listed in an
``ExclusionReport``, never dropped silently. Referral identifiers are used only to spot
duplicates and never leave this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from calibration.cells import (
    DataError,
    Problems,
    parse_date_column,
    parse_dates,
    parse_numbers,
    present,
    read_table,
)

EXTRACT_DATES = ("referral_date", "triage_date", "first_contact_date", "discharge_date")
EXTRACT_REQUIRED = ("referral_date", "priority", *EXTRACT_DATES[1:], "triage_outcome")
EXTRACT_OPTIONAL = ("referral_id", "source", "followup_contacts", "followup_dates", "dna_count")
NOT_ACCEPTED = ("reject", "signpost")


@dataclass
class ExclusionReport:
    """Patient rows left out of estimation, by reason, with their row (line) numbers.

    Each excluded row is counted once, under the first reason found, so counts add up.
    """

    source: str
    rows_read: int = 0
    rows: dict[str, list[int]] = field(default_factory=dict)

    def add(self, reason: str, rows: list[int]) -> None:
        if rows:
            self.rows.setdefault(reason, []).extend(int(r) for r in rows)

    @property
    def counts(self) -> dict[str, int]:
        return {reason: len(rows) for reason, rows in self.rows.items()}

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def rows_kept(self) -> int:
        return self.rows_read - self.total

    def summary(self) -> str:
        lines = [f"{self.source}: {self.rows_read} rows read, {self.total} excluded, {self.rows_kept} kept"]
        for reason, rows in self.rows.items():
            shown = ", ".join(str(r) for r in rows[:10]) + (", ..." if len(rows) > 10 else "")
            lines.append(f"  {reason}: {len(rows)} (rows {shown})")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _check_extract_columns(table: pd.DataFrame, source: str) -> None:
    for column in table.columns:
        if column not in (*EXTRACT_REQUIRED, *EXTRACT_OPTIONAL):
            expected = ", ".join((*EXTRACT_REQUIRED, *EXTRACT_OPTIONAL))
            raise DataError(f"{source}: column {column}: unknown column (expected {expected})")
    for column in EXTRACT_REQUIRED:
        if column not in table.columns:
            raise DataError(f"{source}: column {column}: required but missing")
    if "followup_contacts" not in table.columns and "followup_dates" not in table.columns:
        raise DataError(f"{source}: column followup_contacts: give it or followup_dates")


def _parse_followup_dates(table: pd.DataFrame, problems: Problems) -> pd.Series:
    """Semicolon-separated dates per row as sorted tuples of timestamps."""
    parts = table["followup_dates"].astype(str).str.split(";").explode().str.strip()
    parts = parts[parts != ""]
    dates = parse_dates(parts)
    for row, part in parts[dates.isna()].items():
        problems.add(row, "followup_dates", f"not a date: {part!r} (use YYYY-MM-DD)")
    grouped = dates.dropna().groupby(level=0).agg(lambda d: tuple(sorted(d)))
    empty = pd.Series([()] * len(table), index=table.index, dtype=object)
    empty.update(grouped)
    return empty


def _required_text(table: pd.DataFrame, column: str, problems: Problems) -> pd.Series:
    text = table[column].astype(str).str.lower()  # "Urgent" and "urgent" are one priority
    for row in text.index[text == ""]:
        problems.add(row, column, "empty (required)")
    return text


def _parse_extract(table: pd.DataFrame, source: str) -> pd.DataFrame:
    problems = Problems(source)
    frame = pd.DataFrame(index=table.index)
    frame["referral_date"] = parse_date_column(table, "referral_date", problems)
    for row in frame.index[~present(table, "referral_date")]:
        problems.add(row, "referral_date", "empty (required)")
    frame["priority"] = _required_text(table, "priority", problems)
    if "source" in table.columns:
        frame["source"] = table["source"].astype(str).str.lower().replace("", np.nan)
    frame["triage_date"] = parse_date_column(table, "triage_date", problems)
    frame["triage_outcome"] = table["triage_outcome"].astype(str).str.lower().replace("", np.nan)
    frame["first_contact_date"] = parse_date_column(table, "first_contact_date", problems)
    if "followup_contacts" in table.columns:
        frame["followup_contacts"] = parse_numbers(table, "followup_contacts", problems)
    if "followup_dates" in table.columns:
        frame["followup_dates"] = _parse_followup_dates(table, problems)
    frame["discharge_date"] = parse_date_column(table, "discharge_date", problems)
    if "dna_count" in table.columns:
        frame["dna_count"] = parse_numbers(table, "dna_count", problems)
    problems.raise_if_any()
    return frame


def _inconsistencies(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Reasons a row cannot be trusted, each as a boolean mask (NaT comparisons are False)."""
    referral, triage = frame["referral_date"], frame["triage_date"]
    first, discharge = frame["first_contact_date"], frame["discharge_date"]
    outcome = frame["triage_outcome"]
    count = frame["followup_contacts"]
    reasons = {
        "triage before referral": triage < referral,
        "first contact before referral": first < referral,
        "discharge before referral": discharge < referral,
        "triage outcome without a triage date": outcome.notna() & triage.isna(),
        "triage date without an outcome": triage.notna() & outcome.isna(),
        "first contact without triage": first.notna() & triage.isna(),
        "first contact before triage": first < triage,
        "first contact after reject or signpost": first.notna() & outcome.isin(NOT_ACCEPTED),
        "discharge before first contact": discharge < first,
        "follow-ups without a first contact": (count > 0) & first.isna(),
    }
    if "followup_dates" in frame.columns:
        dates = frame["followup_dates"]
        earliest = pd.to_datetime(dates.map(lambda d: d[0] if d else pd.NaT))
        latest = pd.to_datetime(dates.map(lambda d: d[-1] if d else pd.NaT))
        reasons["follow-up before first contact"] = earliest < first
        reasons["follow-up after discharge"] = latest > discharge
    return reasons


def _reconcile_followups(frame: pd.DataFrame, report: ExclusionReport) -> pd.DataFrame:
    """One follow-up count per row, from the count column or the dates; disagreement excludes."""
    if "followup_dates" not in frame.columns:
        return frame
    from_dates = frame["followup_dates"].map(len).astype(float)
    if "followup_contacts" in frame.columns:
        count = frame["followup_contacts"]
        disagree = count.notna() & (count != from_dates)
        report.add("followup_contacts disagrees with followup_dates", list(frame.index[disagree]))
        frame = frame[~disagree].copy()
        frame["followup_contacts"] = count[~disagree].fillna(from_dates[~disagree])
    else:
        frame["followup_contacts"] = from_dates
    return frame


def _drop_duplicate_referrals(
    table: pd.DataFrame, frame: pd.DataFrame, report: ExclusionReport
) -> pd.DataFrame:
    """Rows repeating an earlier referral_id are excluded (the identifier itself is not kept)."""
    if "referral_id" not in table.columns:
        return frame
    ids = table["referral_id"].astype(str)
    duplicate = ids.duplicated() & (ids != "")
    report.add("duplicate referral_id (later rows)", list(table.index[duplicate]))
    return frame[~duplicate]


def read_extract(path: str | Path) -> tuple[pd.DataFrame, ExclusionReport]:
    """A patient-level extract (one row per referral), validated, and the rows excluded.

    Returns dates as datetime64, ``priority``/``triage_outcome``/``source`` lower-cased,
    ``followup_contacts`` (float, from the count or the dates), ``followup_dates`` (tuples,
    if given) and ``dna_count`` (if given), indexed by line number. ``referral_id`` is not
    returned. Unreadable cells raise ``DataError``; inconsistent rows are excluded.
    """
    source = str(path)
    table = read_table(path)
    _check_extract_columns(table, source)
    report = ExclusionReport(source, rows_read=len(table))
    frame = _parse_extract(table, source)  # every cell must be readable, duplicates too
    frame = _reconcile_followups(_drop_duplicate_referrals(table, frame, report), report)
    frame["followup_contacts"] = frame["followup_contacts"].fillna(0.0)
    excluded = pd.Series(False, index=frame.index)
    for reason, mask in _inconsistencies(frame).items():
        new = mask.fillna(False).astype(bool) & ~excluded
        report.add(reason, list(frame.index[new]))
        excluded |= new
    return frame[~excluded], report
