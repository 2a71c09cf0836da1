"""The files ``dcsim from-waits`` writes: the service, its draws, the forecast, the fit report.

Kept apart from the CLI so the Python API writes the same files; every file is written into a
staging folder and published together (``sim.runs.staging``). The folder is a forecast vintage:
``inputs/`` keeps the months fitted (and the base service, if any) and the manifest the seed,
replications and code version, so ``dcsim track`` can score it months later and the forecast
can be re-made exactly (the manifest's ``remake``).
"""

from __future__ import annotations

import html
import json
import shlex
import sys
from pathlib import Path

import pandas as pd
import yaml

from calibration.from_waits.bands import BandSources, shares_in_words, with_model_error
from calibration.from_waits.estimate import WaitsEstimate
from calibration.from_waits.forecast import forecast_summary, origin_levels, simulate
from calibration.from_waits.track_record import (
    ORIGINS,
    TrackRecord,
    html_section,
    score,
    sentences,
    track_record,
)
from calibration.waits import BandHistory
from sim.engine.scenario import file_hash, validate
from sim.runs.files import package_version, source_commit, write_manifest, write_table, write_text
from sim.runs.staging import staged

INPUTS = "inputs"
HISTORY_FILE = f"{INPUTS}/history.csv"
BASE_FILE = f"{INPUTS}/base.yaml"
ERROR_TABLE_FILE = f"{INPUTS}/model_error.csv"


def fitted_history(history: BandHistory, months: tuple[str, ...]) -> pd.DataFrame:
    """The fitted months as a plain band CSV (month, total, band_<from>_<to>) that ``read_waits`` reads.

    Only the months the fit used: they are all it depends on, so a forecast re-made from this
    file gives the same numbers, while the published file it came from may be revised later.
    """
    table = history.frame()
    table = table[table["month"].isin(months)]
    return table[["month", "total", *history.band_names]].reset_index(drop=True)


def remake_command(manifest: dict) -> str:
    """The ``dcsim from-waits`` line, run in the forecast folder, that re-makes it from its inputs."""
    words = ["dcsim", "from-waits", HISTORY_FILE]
    for option, key in (("--provider", "provider"), ("--service", "service")):
        if manifest[key]:
            words += [option, str(manifest[key])]
    words += ["--up-to", manifest["up_to"], "--horizon", str(manifest["horizon_months"]),
              "--target-weeks", f"{manifest['target_weeks']:g}", "--reps", str(manifest["replications"]),
              "--seed", str(manifest["seed"])]
    if manifest["base"]:
        words += ["--config", BASE_FILE]
    # The table is copied in even when it is the shipped one: a later version may ship another.
    error_table = manifest["inputs"].get("model_error")
    words += ["--model-error", error_table] if error_table else ["--no-model-error"]
    words += ["--track-record", str(manifest["track_record"]["origins_asked"])]
    return " ".join(shlex.quote(w) for w in [*words, "--out", "NEW_FOLDER"])


def _header(history: BandHistory, fitted: WaitsEstimate, base: Path | None) -> str:
    command = " ".join(shlex.quote(a) for a in ["dcsim", *sys.argv[1:]]) if sys.argv else "dcsim from-waits"
    lines = [
        f"Built by dcsim from-waits from {history.source}",
        f"Provider: {history.provider_code or '-'} {history.provider_name or ''}".rstrip(),
        f"Service: {history.service or '-'}",
        f"Fitted on {len(fitted.months)} months: {fitted.months[0]} to {fitted.months[-1]}; "
        f"the run starts from the {fitted.months[-1]} snapshot.",
        "Inferred (median, 90% range in parameter_draws.csv): referrals joining the list a month,",
        "first contacts a month (clock stops), booking weights and removal rates by weeks waited.",
        "Assumed, not in any snapshot: the share of exits that are removals (prior Beta(3, 17)),",
        "no seasonality (too few months to tell), waits sloped inside each band.",
        "Staff, job plans and follow-ups: "
        + (f"from {base}." if base else "one clinician role delivering the inferred first contacts."),
        f"Made by: {command}",
    ]
    return "".join(f"# {line}\n" for line in lines)


def _sources_html(bands: BandSources) -> str:
    sentences = "".join(f"<li>{html.escape(s)}</li>" for s in shares_in_words(bands.sources))
    months = bands.table.months
    where = f"{months[0]} to {months[-1]}" if months else "no months"
    return (
        "<h2>How much of the band is model error</h2><p>The bands include how far dcsim's forecasts "
        f"missed real CHS services at each horizon (target months {where}, {html.escape(bands.path.name)}), "
        "on top of the simulation's own spread.</p>"
        f"<ul>{sentences or '<li>no model-error table applies to these horizons</li>'}</ul>"
    )


def _report(history: BandHistory, fitted: WaitsEstimate, summary: pd.DataFrame, target: float,
            bands: BandSources | None = None, record: TrackRecord | None = None) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{mid:.3g}</td><td>{low:.3g} to {high:.3g}</td></tr>"
        for name, (mid, low, high) in fitted.ranges().items()
    )
    reported = history.frame()
    past = "".join(
        f"<tr><td>{r.month}</td><td>{int(r.total)}</td><td>{int(getattr(r, f'over_{target:g}'))}</td></tr>"
        for r in reported.itertuples()
    ) if f"over_{target:g}" in reported else ""
    ahead = "".join(
        f"<tr><td>{r.month}</td><td>{r.waiting_p50:.0f} ({r.waiting_p10:.0f}-{r.waiting_p90:.0f})</td>"
        f"<td>{r.breaches_p50:.0f} ({r.breaches_p10:.0f}-{r.breaches_p90:.0f})</td></tr>"
        for r in summary.itertuples()
    )
    problems = "".join(
        f"<li>{html.escape(p.month or '')}: {html.escape(p.message)}</li>" for p in history.problems
    )
    title = html.escape(" ".join(x for x in (history.provider_name, history.service) if x) or history.source)
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{title}: service from its waits</title>
<style>body{{font-family:sans-serif;max-width:60em}}
td,th{{padding:2px 8px;border-bottom:1px solid #ddd}}</style>
</head><body><h1>{title}</h1>
<p>Fitted on {fitted.months[0]} to {fitted.months[-1]} ({len(fitted.months)} months).</p>
<h2>What the waits imply</h2><table><tr><th>quantity</th><th>median</th><th>90% range</th></tr>{rows}</table>
<h2>Reported</h2><table><tr><th>month</th><th>waiting</th><th>over {target:g} weeks</th></tr>{past}</table>
<h2>Forecast (median, 10th-90th centile)</h2>
<table><tr><th>month</th><th>waiting</th><th>over {target:g} weeks</th></tr>{ahead}</table>
{html_section(record, target)}
{_sources_html(bands) if bands is not None else "<p>Within-model noise and parameter draws only.</p>"}
<h2>Data problems found</h2><ul>{problems or '<li>none</li>'}</ul></body></html>"""


def _track(record: TrackRecord | None, asked: int, target_weeks: float) -> dict:
    """The track record for the manifest: its origins, the months left out, the scores, in words."""
    if record is None:
        return {"origins_asked": asked, "origins": [], "sentences": []}
    return {"origins_asked": asked, "origins": list(record.origins), "left_out": list(record.left_out),
            "replications": record.reps, "scores": score(record).to_dict(orient="records"),
            "sentences": sentences(record, target_weeks)}


def _uncertainty(bands: BandSources | None) -> dict:
    """What the bands are made of, for the manifest: sources, the table and its months, shares."""
    if bands is None:
        return {"sources": ["within-model noise", "parameter draws"], "model_error": None}
    eighty = bands.sources[bands.sources["band"] == "80"] if not bands.sources.empty else bands.sources
    shares = {
        measure: {int(r.horizon): round(float(r.model_error_share), 3) for r in rows.itertuples()}
        for measure, rows in eighty.groupby("measure", sort=False)
    } if not eighty.empty else {}
    return {
        "sources": ["within-model noise", "parameter draws", "model error"],
        "model_error": {"table": str(bands.path), "estimated_from_months": list(bands.table.months),
                        "combine": "max", "share_of_80_band_by_horizon": shares},
    }


def from_waits(history: BandHistory, up_to: str, out: Path, *, horizon: int = 12, reps: int = 100,
               seed: int = 0, target_weeks: float = 18.0, base: Path | None = None,
               model_error: Path | str | None | bool = None, track_origins: int = ORIGINS) -> dict:
    """Infer, build, forecast and write the files; returns the manifest.

    ``model_error`` is a model-error table (``calibration.model_error.write_table``), None for
    the shipped CHS panel table, or False for the simulation's own spread alone.
    ``track_origins`` earlier months are forecast the same way for the track record (0: none).
    """
    base_document = None
    if base is not None:
        from sim.engine.scenario import resolve

        base_document, _ = resolve(Path(base))
        validate(base_document, str(base))
    monthly, document, draws, fitted = simulate(
        history, up_to, horizon, reps, seed, target_weeks=target_weeks, base=base_document
    )
    summary = forecast_summary(monthly, target_weeks)
    bands = None
    if model_error is not False:
        bands = with_model_error(summary, origin_levels(history, up_to, target_weeks), model_error or None)
        summary = bands.summary
    record = None
    if track_origins:
        record = track_record(history, up_to, origins=track_origins, reps=reps, seed=seed,
                              target_weeks=target_weeks, base=base_document, model_error=model_error)
    document["parameter_draws"] = {"file": "parameter_draws.csv", "use": True}
    inputs = fitted_history(history, fitted.months)
    manifest = {
        "command": "from-waits", "source": history.source, "provider": history.provider_code,
        "provider_name": history.provider_name, "service": history.service,
        "fitted_months": list(fitted.months), "up_to": up_to,
        "horizon_months": horizon, "replications": reps, "seed": seed, "target_weeks": target_weeks,
        "base": str(base) if base else None, "version": package_version(), "commit": source_commit(),
        "inferred": {k: list(v) for k, v in fitted.ranges().items()},
        "uncertainty": _uncertainty(bands),
        "track_record": _track(record, track_origins, target_weeks),
    }
    manifest["inputs"] = {"history": HISTORY_FILE, "base": BASE_FILE if base else None,
                          "model_error": ERROR_TABLE_FILE if bands is not None else None}
    manifest["remake"] = remake_command(manifest)
    manifest["remake_in"] = "the folder holding this manifest"
    with staged(out) as folder:
        write_table(inputs, folder / HISTORY_FILE)
        manifest["inputs"]["history_sha256"] = file_hash(folder / HISTORY_FILE)
        if base_document is not None:
            write_text(yaml.safe_dump(base_document, sort_keys=False), folder / BASE_FILE)
        text = _header(history, fitted, base) + yaml.safe_dump(document, sort_keys=False)
        write_text(text, folder / "service.yaml")
        write_table(draws, folder / "parameter_draws.csv")
        write_table(summary, folder / "summary.csv")
        write_table(monthly, folder / "monthly.csv")
        if bands is not None:
            write_table(bands.sources, folder / "band_sources.csv")
            write_text(bands.path.read_text(), folder / ERROR_TABLE_FILE)
        if record is not None:
            write_table(record.points, folder / "track_record.csv")
            write_table(score(record), folder / "track_record_scores.csv")
        write_text(_report(history, fitted, summary, target_weeks, bands, record), folder / "fit_report.html")
        write_manifest(manifest, folder / "manifest.json")
    return json.loads(json.dumps(manifest))
