"""A tracked forecast in words and files: the month-by-month lines, track.csv, track.png, manifest.

The words are for the people who acted on the forecast: each month as "Mar 2025", what was
reported beside the median and the 80% and 50% bands, and one sentence per measure saying how
many months fell inside the band and how far the median was off. The files are published
together (``sim.runs.staging``), so a failure leaves none of them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from calibration.track import NOT_YET, REPORTED, Track
from calibration.waits.history import month_index
from sim.engine.scenario import file_hash
from sim.reports.board import count_text, month_heading
from sim.runs.files import package_version, source_commit, write_figure, write_manifest, write_table
from sim.runs.staging import staged

FILES = ("track.csv", "track.png", "manifest.json")


def measure_label(measure: str, target_weeks: float | None) -> str:
    """The measure in the service's words."""
    if measure == "breaches":
        return f"Waiting over {target_weeks:g} weeks" if target_weeks else "Waiting over the target"
    return {"waiting": "Waiting list", "over_52_weeks": "Waiting over 52 weeks"}.get(measure, measure)


def _months(n: int) -> str:
    return f"{n} month{'s' * (n != 1)}"


def summary_sentence(row: pd.Series) -> str:
    """'3 of 4 months fell inside the 80% band ...; the median was 12% high on average.'"""
    reported, inside_80, inside_50 = (int(row[k]) for k in ("reported", "inside_80", "inside_50"))
    if not reported:
        return "No month has been reported yet."
    months = "month" if reported == 1 else "months"
    text = f"{inside_80} of {reported} {months} fell inside the 80% band and {inside_50} inside the 50% band"
    relative, error = row["mean_relative_error"], row["mean_error"]
    if pd.notna(relative) and round(abs(relative) * 100) > 0:
        side = "high" if relative > 0 else "low"
        text += f"; the median was {abs(relative):.0%} {side} on average"
        shared = int(row.get("relative_months", reported))
        if shared < reported:  # months reporting none have no relative error
            text += f" over the {_months(shared)} with any waiting"
    elif pd.notna(error) and round(abs(error)) > 0:  # every actual zero: a count, not a share
        text += f"; the median was {count_text(abs(error))} {'above' if error > 0 else 'below'} on average"
    else:
        text += "; the median was right on average"
    return text + "."


def _who(track: Track) -> str:
    """' for WYE VALLEY NHS TRUST (RLQ), (CYP) Therapy interventions: ...', or '' when unnamed."""
    vintage = track.vintage
    provider = vintage.provider_name or vintage.provider
    if vintage.provider_name and vintage.provider:
        provider = f"{vintage.provider_name} ({vintage.provider})"
    names = [x for x in (provider, vintage.service) if x] or [x for x in (vintage.scenario,) if x]
    return f" for {', '.join(names)}" if names else ""


def heading(track: Track) -> list[str]:
    """Which forecast, made when and how, and the file it is set against."""
    vintage, manifest = track.vintage, track.vintage.manifest
    reps, seed = manifest.get("replications", "?"), manifest.get("seed", "?")
    made = f"dcsim {vintage.command}, {reps} replications, seed {seed}"
    return [
        f"Forecast{_who(track)}",
        f"made at {month_heading(vintage.origin)} ({made}), against what {track.reported.source} reports:",
    ]


def spans(months: list[str]) -> list[str]:
    """Consecutive months as 'Aug 2024 to Mar 2027', a lone month as 'Aug 2024'."""
    found: list[list[str]] = []
    for month in months:
        if found and month_index(month) == month_index(found[-1][-1]) + 1:
            found[-1].append(month)
        else:
            found.append([month])
    return [
        month_heading(run[0]) + (f" to {month_heading(run[-1])}" if len(run) > 1 else "") for run in found
    ]


def _not_yet(months: list[str]) -> list[str]:
    if not months:
        return []
    if len(months) == 1:
        return [f"  {month_heading(months[0]):<9} {NOT_YET}"]
    return [f"  {span}: {NOT_YET} ({_months(len(months))})" for span in spans(months)]


def answer_lines(track: Track) -> list[str]:
    """The answer: per measure, one line per forecast month, then the sentence."""
    lines = heading(track)
    target = track.vintage.target_weeks
    widths = "  {:<9} {:>7} {:>7}  {:>10}  {:<7}  {:>10}  {:<7}"
    for measure, part in track.table.groupby("measure", sort=False):
        lines += ["", measure_label(measure, target)]
        lines.append(widths.format("Month", "Actual", "Median", "80% band", "", "50% band", "").rstrip())
        waiting: list[str] = []  # a run of months not yet reported, shown as one line
        for row in part.itertuples(index=False):
            if row.status == NOT_YET:
                waiting.append(row.month)
                continue
            lines += _not_yet(waiting)
            waiting = []
            month = month_heading(row.month)
            if row.status != REPORTED:
                lines.append(f"  {month:<9} {row.status}")
                continue
            lines.append(widths.format(
                month, count_text(row.actual), count_text(row.p50),
                f"{count_text(row.p10)}-{count_text(row.p90)}", "inside" if row.inside_80 else "outside",
                f"{count_text(row.p25)}-{count_text(row.p75)}", "inside" if row.inside_50 else "outside",
            ).rstrip())
        lines += _not_yet(waiting)
        score = track.scores.set_index("measure").loc[measure]
        lines.append(f"  {summary_sentence(score)}")
    return lines


def notes(track: Track) -> list[str]:
    """Progress-channel notes: what was left out and why."""
    found = list(track.reported.notes)
    if track.beyond:
        found.append(
            f"{track.reported.source}: {_months(len(track.beyond))} reported after the forecast's last month "
            f"({month_heading(track.vintage.months[-1])}), from {month_heading(track.beyond[0])}: not scored"
        )
    waiting = (track.table["status"] == NOT_YET).groupby(track.table["month"]).all()
    if waiting.any():
        found.append(f"not yet reported: {', '.join(spans(list(waiting.index[waiting])))}")
    return found


def track_table(track: Track) -> pd.DataFrame:
    """track.csv: one row per measure x forecast month."""
    table = track.table.copy()
    for column in ("inside_80", "inside_50"):
        table[column] = table[column].map({True: "yes", False: "no"})
    return table


def track_manifest(track: Track) -> dict:
    """What was tracked against what, and the scores, so the comparison can be repeated."""
    vintage, source = track.vintage, Path(track.reported.source)
    return {
        "command": "track",
        "forecast": {
            "folder": str(vintage.folder.resolve()), "made_by": vintage.command, "origin": vintage.origin,
            "manifest_sha256": file_hash(vintage.folder / "manifest.json"),
            "seed": vintage.manifest.get("seed"), "replications": vintage.manifest.get("replications"),
        },
        "actuals": {"path": str(source.resolve()), "sha256": file_hash(source) if source.is_file() else None},
        "provider": vintage.provider, "service": vintage.service, "target_weeks": vintage.target_weeks,
        "scores": track.scores.to_dict(orient="records"),
        "not_yet_reported": sorted(set(track.table.loc[track.table["status"] == NOT_YET, "month"])),
        "version": package_version(), "commit": source_commit(),
    }


def write_track(track: Track, out: Path) -> list[Path]:
    """track.csv, track.png and manifest.json into ``out``, published together."""
    from sim.reports.plots import track_chart

    labels = {m: measure_label(m, track.vintage.target_weeks) for m in track.scores["measure"]}
    made = month_heading(track.vintage.origin)
    title = f"Forecast made at {made}, and what was then reported\n{_who(track).removeprefix(' for ')}"
    with staged(out) as folder:
        write_table(track_table(track), folder / "track.csv")
        write_figure(lambda p: track_chart(track.table, track.before, p, labels, title), folder / "track.png")
        write_manifest(track_manifest(track), folder / "manifest.json")
    return [Path(out) / name for name in FILES]
