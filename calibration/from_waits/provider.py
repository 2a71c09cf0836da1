"""Every service of one provider from its published waits, as a dcsim portfolio.

``dcsim from-waits HISTORY --provider CODE --all-services`` fits each of the provider's
services as ``from_waits`` fits one, each into its own folder, and writes a ``portfolio.yaml``
that lists the fitted ones, so ``dcsim run DIR/portfolio.yaml`` plays them forward together.
A service that cannot be fitted at ``--up-to`` (a gap, too few months, bands that never sum) is
refused with its reason in ``services.csv`` and on the console, not dropped silently.

Nothing published says which staff work across services, so the portfolio has no staff pools:
each service keeps the capacity its own waits imply. Pools, moves and events are added to the
written ``portfolio.yaml`` by the analyst (docs/portfolio.md).

Fitting is the slow part (seconds per service), so each finished service is kept in a work
folder inside ``out`` and reused when the same command is run again after an interruption;
the folders, the portfolio and its table are published together once all are done.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import yaml

from calibration.from_waits.outputs import from_waits
from calibration.waits import BandHistory, WaitsError
from calibration.waits.panel import select, services_of
from calibration.waits.reader import load_panel
from sim.reports.board import month_heading
from sim.runs.files import package_version, source_commit, write_manifest, write_table, write_text
from sim.runs.staging import staged

WORK = ".from-waits-work"  # finished services of an interrupted run (not a staging folder)
NAME_LENGTH = 60  # a portfolio service name's limit (sim.engine.portfolio.PortfolioService)
# CHS service names carry the population in brackets and a long common prefix; a portfolio
# name should read like the service, e.g. "CYP Speech and language".
POPULATIONS = {"(A)": "Adults", "(CYP)": "CYP"}
PREFIX = re.compile(r"therapy interventions:\s*", re.IGNORECASE)


def short_name(service: str, taken: set[str]) -> str:
    """A portfolio name for ``service``: allowed characters only, at most 60, and a folder name
    (``folder_name``) not in ``taken``."""
    text = service
    for code, words in POPULATIONS.items():
        text = text.replace(code, words)
    text = PREFIX.sub("", text)
    text = re.sub(r"[^A-Za-z0-9 _.-]+", " ", text)
    text = re.sub(r"\s+", " ", text).strip(" ._-") or "service"
    name, number = text[:NAME_LENGTH].strip(), 2
    while folder_name(name) in taken:
        suffix = f" {number}"
        name, number = text[: NAME_LENGTH - len(suffix)].strip() + suffix, number + 1
    return name


def folder_name(name: str) -> str:
    """The service's folder: its name in lower case with hyphens (no spaces to quote in a shell)."""
    return re.sub(r"[^a-z0-9.]+", "-", name.lower()).strip("-.") or "service"


def provider_services(path: str | Path, provider: str) -> list[BandHistory]:
    """Each service ``provider`` reports in the file, as a ``BandHistory`` (the file read once)."""
    panel = load_panel(path)
    if panel.single:
        raise WaitsError(f"{path}: --all-services: the file holds one series; name it with --service")
    return [select(panel, provider, service) for service in services_of(panel, provider)]


def _settings(up_to: str, options: dict) -> dict:
    return {"up_to": up_to, **{k: str(v) if isinstance(v, Path) else v for k, v in sorted(options.items())}}


def _fit_one(history: BandHistory, up_to: str, folder: Path, options: dict) -> dict:
    """The service's manifest, reusing ``folder`` when an earlier run fitted it the same way."""
    key = {"settings": _settings(up_to, options), "history": history.frame().to_json()}
    stamp = folder / ".fitted.json"
    if stamp.is_file() and (folder / "manifest.json").is_file():
        if json.loads(stamp.read_text()) == key:
            return json.loads((folder / "manifest.json").read_text())
    manifest = from_waits(history, up_to, folder, **options)
    write_text(json.dumps(key), stamp)
    return manifest


def _row(name: str, history: BandHistory, up_to: str, target: float, manifest: dict | None,
         reason: str | None, horizon: int) -> dict:
    row = {"service": history.service, "name": name, "folder": folder_name(name),
           "status": "fitted" if manifest else "refused",
           "reason": reason or "", "fitted_from": "", "fitted_to": "", "waiting_at_origin": None,
           f"over_{target:g}_weeks_at_origin": None}
    usable = history.usable().up_to(up_to)
    if up_to in usable.months:
        at = list(usable.months).index(up_to)
        row["waiting_at_origin"] = float(usable.totals[at])
        row[f"over_{target:g}_weeks_at_origin"] = float(usable.over(target)[at])
    if manifest:
        row["fitted_from"], row["fitted_to"] = manifest["fitted_months"][0], manifest["fitted_months"][-1]
        row["horizon_months"] = horizon
    return row


def portfolio_from_waits(histories: list[BandHistory], up_to: str, out: Path, *,
                         target_weeks: float = 18.0, horizon: int = 12, **options) -> dict:
    """Fit each of one provider's services (``provider_services``) at ``up_to`` into
    ``out/<folder>/`` and write ``out/portfolio.yaml``, ``out/services.csv`` and
    ``out/manifest.json``; returns the manifest.

    ``options`` as ``from_waits`` takes them (``reps``, ``seed``, ``model_error``,
    ``track_origins``). Raises ``WaitsError`` when no service can be fitted.
    """
    path = histories[0].source
    for history in histories:
        history.over(target_weeks)  # a target off the band edges is refused before any fitting
    out = Path(out)
    work = out / WORK
    settings = {"target_weeks": target_weeks, "horizon": horizon, **options}
    rows, fitted, taken = [], [], set()
    for history in histories:
        name = short_name(history.service or "service", taken)
        taken.add(folder_name(name))
        try:
            manifest = _fit_one(history, up_to, work / folder_name(name), settings)
            fitted.append(name)
            rows.append(_row(name, history, up_to, target_weeks, manifest, None, horizon))
        except WaitsError as error:
            reason = str(error).split(": ", 1)[-1] if str(error).startswith(str(path)) else str(error)
            rows.append(_row(name, history, up_to, target_weeks, None, reason, horizon))
    table = pd.DataFrame(rows)
    who = histories[0].provider_name or histories[0].provider_code or "the provider"
    when = month_heading(up_to)
    if not fitted:
        reasons = "; ".join(f"{r['service']}: {r['reason']}" for r in rows)
        raise WaitsError(f"{path}: --all-services: no service of {who} can be fitted at {when} ({reasons})")
    manifest = {
        "command": "from-waits --all-services", "source": path, "provider": histories[0].provider_code,
        "provider_name": histories[0].provider_name, "up_to": up_to, "target_weeks": target_weeks,
        "horizon_months": horizon,
        "services": [{k: r[k] for k in ("name", "service", "folder")}
                     for r in rows if r["status"] == "fitted"],
        "refused": {r["service"]: r["reason"] for r in rows if r["status"] == "refused"},
        "options": _settings(up_to, options), "version": package_version(), "commit": source_commit(),
    }
    with staged(out) as folder:
        for name in fitted:
            shutil.copytree(work / folder_name(name), folder / folder_name(name),
                            ignore=shutil.ignore_patterns(".fitted.json"))
        write_text(_portfolio_text(who, when, fitted, rows), folder / "portfolio.yaml")
        write_table(table, folder / "services.csv")
        write_manifest(manifest, folder / "manifest.json")
    shutil.rmtree(work, ignore_errors=True)
    return manifest


def _portfolio_text(who: str, when: str, fitted: list[str], rows: list[dict]) -> str:
    refused = [r for r in rows if r["status"] == "refused"]
    header = [
        f"# {who}: every service that could be fitted from its published waits up to {when}.",
        "# Built by dcsim from-waits --all-services; each service's folder has its own fit report.",
        "# No staff pools: nothing published says who works across services, so each service keeps",
        "# the capacity its own waits imply. Add staff_pools and events here (docs/portfolio.md).",
    ]
    header += [f"# Not fitted: {r['service']}: {r['reason']}" for r in refused]
    document = {"portfolio": {
        "title": f"{who} (from published waits to {when})"[:80],
        "services": [{"name": name, "file": f"{folder_name(name)}/service.yaml"} for name in fitted],
    }}
    return "\n".join(header) + "\n" + yaml.safe_dump(document, sort_keys=False)
