"""``dcsim track``: a saved forecast scored against what its service reported since, and drawn."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.cli.common import app, console, output_folder, say, user_errors, writing


@app.command("track", rich_help_panel="Fit to history")
def track(
    forecast: Annotated[
        Path, typer.Argument(help="A forecast folder: the --out of dcsim from-waits or dcsim run.")
    ],
    actuals: Annotated[
        Path,
        typer.Option(
            "--actuals",
            help="What was reported since: published waits (CHS wide CSV, workbook, band CSV) or a "
            "monthly CSV (month, waiting, breaches).",
        ),
    ],
    provider: Annotated[
        str | None, typer.Option("--provider", help="Organisation code or name (default: the forecast's).")
    ] = None,
    service: Annotated[
        str | None, typer.Option("--service", help="Service name or a unique part (default: the forecast's).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Folder for track.csv and track.png (default FORECAST/track)."),
    ] = None,
) -> None:
    """Score a saved forecast month by month against what was reported since; write track.csv, track.png."""
    from calibration.track import check_asked, read_reported, read_vintage, score
    from calibration.track_outputs import answer_lines, notes, write_track

    out = out if out is not None else forecast / "track"
    with user_errors():  # everything is read and checked before --out is touched
        vintage = read_vintage(forecast)
        check_asked(vintage, provider, service)
        console.print(f"reading {actuals}", markup=False, highlight=False)
        reported = read_reported(
            actuals, provider or vintage.provider, service or vintage.service, vintage.target_weeks
        )
        tracked = score(vintage, reported)
        with output_folder(out), writing(out):
            written = write_track(tracked, out)
    for line in answer_lines(tracked):
        say(line)
    for note in notes(tracked):
        console.print(note, markup=False, highlight=False)
    console.print(f"wrote {', '.join(p.name for p in written)} -> {out}/", markup=False, highlight=False)
