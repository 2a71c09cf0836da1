"""Fit and backtest reports: the fan against the history, parameter ranges and diagnostics.

Every file goes through ``sim.runs.files`` writers, so it appears whole or not at all. The
HTML pages embed their charts and need nothing beside them.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import os
from pathlib import Path
from shlex import quote

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
import yaml  # noqa: E402

from calibration.history import COMPARABLE  # noqa: E402
from calibration.results import FitResult  # noqa: E402
from sim.engine.scenario import file_hash  # noqa: E402
from sim.reports.plots import LABELS, plain_text  # noqa: E402
from sim.runs.files import write_figure, write_manifest, write_table, write_text  # noqa: E402
from sim.runs.manifest import manifest  # noqa: E402
from sim.runs.staging import staged  # noqa: E402
from sim.runs.summary import metric_band  # noqa: E402

DRAWS_FILE = "parameter_draws.csv"
BASE_FILE = "service.yaml"  # the service a fit to band snapshots starts from, beside its fitted scenario

STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}td,th{border:1px solid #ccc;padding:.3em .6em;
text-align:right}th{background:#f3f3f3}.warn{color:#a33}img{max-width:100%}code{background:#f3f3f3}"""
MARKERS = {
    True: {"marker": "o", "color": "black"},
    False: {"marker": "D", "color": "#c0392b", "fillstyle": "none"},
}


# ----- charts --------------------------------------------------------------------------------------


@plain_text
def history_chart(
    summary: pd.DataFrame,
    metric: str,
    series: list[tuple[str, pd.Series, bool]],
    path: Path,
    title: str,
    cutoff: str | None = None,
    last_month: str | None = None,
) -> None:
    """The fan (median, 10-90% band) of ``metric`` with each history series as points.

    ``series`` holds (label, values by month, fitted?); fitted series are filled black
    points, others open red diamonds. ``cutoff`` marks the last training month of a backtest;
    ``last_month`` ends the chart early.
    """
    sns.set_theme(style="whitegrid", context="notebook")
    band = metric_band(summary, metric)
    if last_month is not None:
        band = band[band["month"] <= last_month]
    months = list(band["month"])
    position = {m: i for i, m in enumerate(months)}
    fig, ax = plt.subplots(figsize=(10, 5.5))
    x = np.arange(len(months))
    ax.fill_between(x, band["p10"], band["p90"], color="#4c72b0", alpha=0.2, linewidth=0, label="10-90% band")
    ax.plot(x, band["p50"], color="#4c72b0", linewidth=2, label="Median (parameters drawn from posterior)")
    for label, values, fitted in series:
        shown = values.dropna()
        shown = shown[shown.index.isin(position)]
        ax.plot(
            shown.index.map(position),
            shown.to_numpy(),
            linestyle="none",
            markersize=6,
            label=label,
            **MARKERS[fitted],
        )
    if cutoff is not None:
        ax.axvline(position[cutoff] + 0.5, color="grey", linestyle="--", linewidth=1)
        ax.text(position[cutoff] + 0.6, 0.03, "held out ->", color="grey", transform=ax.get_xaxis_transform())
    step = max(1, len(months) // 12)
    ax.set_xticks(x[::step])
    ax.set_xticklabels(months[::step], rotation=45, ha="right")
    ax.set_ylabel(LABELS.get(metric, metric.replace("_", " ")))
    ax.set_ylim(bottom=0)
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


@plain_text
def posterior_chart(result: FitResult, path: Path) -> None:
    """Accepted draws of each pair of parameters (identifiability at a glance), weights as size."""
    sns.set_theme(style="whitegrid", context="notebook")
    table = result.table.set_index("parameter")
    paths = list(table.index)
    d = len(paths)
    fig, axes = plt.subplots(d, d, figsize=(3.4 * d + 1, 3.2 * d + 0.5), squeeze=False)
    weights = result.posterior["weight"].to_numpy()
    for i, row_path in enumerate(paths):
        for j, column_path in enumerate(paths):
            ax = axes[i][j]
            column = table.loc[column_path]
            if i == j:
                ax.hist(result.posterior[column_path], bins=15, weights=weights, color="#4c72b0", alpha=0.7)
                ax.axvspan(column["low"], column["high"], color="#4c72b0", alpha=0.12)
                ax.axvline(column["estimate"], color="black", linewidth=1.5)
            elif i > j:
                ax.scatter(
                    result.posterior[column_path],
                    result.posterior[row_path],
                    s=8 + 400 * weights,
                    alpha=0.5,
                    color="#4c72b0",
                )
                ax.plot(column["estimate"], table.loc[row_path, "estimate"], "k*", markersize=12)
                ax.set_ylim(table.loc[row_path, "bound_low"], table.loc[row_path, "bound_high"])
            else:
                ax.axis("off")
                continue
            ax.set_xlim(column["bound_low"], column["bound_high"])
            ax.tick_params(labelsize=8)
            if i == d - 1:
                ax.set_xlabel(column_path, fontsize=8)
            if j == 0 and i > 0:
                ax.set_ylabel(row_path, fontsize=8)
    fig.suptitle("Accepted parameter draws (limits = bounds searched; line/star = best fit)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100, format="png")
    plt.close(fig)


def _series(frame: pd.DataFrame, fitted: dict[str, str], metric: str) -> list[tuple[str, pd.Series, bool]]:
    by_month = frame.set_index("month")
    found = []
    for column, series_metric in COMPARABLE.items():
        if series_metric == metric and column in by_month and by_month[column].notna().any():
            is_fitted = fitted.get(metric) == column
            label = f"{column} ({'fitted' if is_fitted else 'not fitted: a check'})"
            found.append((label, by_month[column], is_fitted))
    return sorted(found, key=lambda item: not item[2])


# ----- the fitted scenario file ---------------------------------------------------------------------


def relative_extends(config_path: str | Path, yaml_path: str | Path) -> str:
    """The path of the config as seen from the folder of the fitted file (as ``extends:`` needs)."""
    relative = os.path.relpath(Path(config_path).resolve(), Path(yaml_path).resolve().parent)
    return Path(relative).as_posix()


def draws_reference(draws_path: str | None) -> list[str]:
    """The ``parameter_draws`` key: runs of the fitted scenario draw one kept parameter set each."""
    if draws_path is None:
        return []
    flow = yaml.safe_dump({"file": draws_path, "use": True}, default_flow_style=True).strip()
    return [f"parameter_draws: {flow}"]


def fitted_extends(result: FitResult, config_path: str | Path | None, yaml_path: Path) -> str | None:
    """What the fitted scenario extends: the fitted file, or with fitted events the file it extends."""
    if not result.fits_events:
        return relative_extends(config_path, yaml_path) if config_path else None
    parent = (result.source_document or {}).get("extends")
    return relative_extends(parent, yaml_path) if parent else None


def _calibrate_command(info: dict) -> str:
    """The start of the command that made the fit: the service and what it was fitted to."""
    waits = info.get("waits")
    if waits is None:
        return f"dcsim calibrate {quote(str(info['config']))} --data {quote(str(info['history']))}"
    parts = ["dcsim calibrate"]
    if waits.get("config"):
        parts.append(quote(str(waits["config"])))
    parts.append(f"--waits {quote(str(waits['history']))}")
    for option, key in (("--provider", "provider"), ("--service", "service")):
        if waits.get(key):
            parts.append(f"{option} {quote(str(waits[key]))}")
    parts.append(
        f"--from {waits['snapshot_month']} --up-to {waits['up_to']} --target-weeks {waits['target_weeks']:g}"
    )
    return " ".join(parts)


def scenario_text(
    result: FitResult, extends: str | None, draws_path: str | None = None, outputs: str = ""
) -> str:
    """The fitted scenario YAML, its provenance and ranges in comments (no dates: same fit, same file).

    ``outputs`` (``--out ... --yaml ...``) completes the command written in the header, so
    that it can be run again as it stands.
    """
    info = result.info
    targets = ", ".join(f"{m} <- {c}" for m, c in info["targets"].items())
    fitted = quote(",".join(info["parameters"]))
    command = [_calibrate_command(info), f"--fit {fitted}"]
    if info.get("waits", {}).get("targets_given", True):  # a waits fit targets every series by default
        command += [f"--target {m}={c}" for m, c in info["targets"].items()]
    logs = set(info.get("log_uniform", ()))
    command += [
        f"--bounds {quote(f'{p}={low:g},{high:g}' + (',log' if p in logs else ''))}"
        for p, (low, high) in info["bounds"].items()
    ]
    command += [f"--reps {info['reps']} --draws {info['draws']} --forecast-reps {info['forecast_reps']}"]
    command[-1] += f" --seed {info['seed']}"
    command += [outputs] if outputs else []
    lines = [
        "# Fitted by `dcsim calibrate`. A run of this file from the snapshot, with its parameter",
        "# draws, meets the history as below (Fitted, Check).",
        f"# History: {Path(info['history']).name}, months {info['months_fitted'][0]} to "
        f"{info['months_fitted'][1]}, fitted series: {targets}.",
        f"# Seed {info['seed']}, {info['reps']} replications per evaluation, {info['draws']} ABC draws.",
        "# Best-fitting values; 90% ranges from approximate Bayesian computation:",
    ]
    for row in result.table.itertuples():
        lines.append(
            f"#   {row.parameter}: {row.estimate:.4g} "
            f"(range {row.low:.4g} to {row.high:.4g}; was {row.before:.4g})"
        )
    for row in result.checks.itertuples():
        lines.append(
            f"# {'Fitted' if row.fitted else 'Check, not fitted'}: {row.series}, {row.months} months: "
            f"MAE {row.mae:.1f}, bias {row.bias:+.1f}, {row.coverage_80:.0%} inside the 10-90% band."
        )
        if pd.notna(getattr(row, "rms_change_percentile", float("nan"))):
            lines.append(
                f"#   Month to month: reported root-mean-square change {row.rms_change:.1f}, simulated "
                f"median {row.rms_change_p50:.1f} (10-90%: {row.rms_change_p10:.1f} to "
                f"{row.rms_change_p90:.1f}); {row.rms_change_percentile:.0f}% of replications move less."
            )
    lines += [f"# Warning: {w}" for w in result.warnings]
    continued = [f"{part} \\" for part in command[:-1]] + command[-1:]
    lines += ["# Made by:", *(f"#   {part}" for part in continued)]
    body = yaml.safe_dump(result.scenario(extends), sort_keys=False, default_flow_style=False)
    return "\n".join(lines) + "\n" + body + "".join(f"{line}\n" for line in draws_reference(draws_path))


# ----- HTML ---------------------------------------------------------------------------------------------


def _image(path: Path) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<p><img alt="{html.escape(path.name)}" src="data:image/png;base64,{data}"></p>'


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, float_format=lambda v: f"{v:.4g}", border=0, na_rep="")


def _warnings(warnings: list[str]) -> str:
    if not warnings:
        return "<p>No identifiability or fit warnings.</p>"
    return "<ul>" + "".join(f'<li class="warn">{html.escape(w)}</li>' for w in warnings) + "</ul>"


def page(title: str, parts: list[str]) -> str:
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>{''.join(parts)}</body></html>\n"
    )


def _correlation(result: FitResult) -> list[str]:
    if len(result.parameters) < 2:
        return []
    table = result.correlation.to_html(float_format=lambda v: f"{v:+.2f}", border=0)
    return ["<h2>Correlation of parameters among accepted draws</h2>", table]


def _settings(info: dict) -> str:
    rows = pd.DataFrame({"setting": list(info), "value": [str(v) for v in info.values()]})
    return _table(rows)


# ----- writers ---------------------------------------------------------------------------------------------


def write_fit(
    result: FitResult,
    out: Path,
    config_path: str | Path | None = None,
    yaml_path: str | Path | None = None,
    base_text: str | None = None,
) -> list[Path]:
    """Fitted YAML, report (HTML with charts), parameter/posterior/check tables and a manifest.

    The files are staged in a hidden folder inside ``out`` and moved into place together
    (``sim.runs.staging``), so a failure part way leaves ``out`` as it was. The fitted YAML's
    ``extends:`` and ``parameter_draws:`` paths are relative to where it ends up, not to the
    staging folder. A ``yaml_path`` outside ``out`` is written (with a copy of the draws beside
    it, so that it travels with them) once everything in ``out`` is staged. ``base_text`` is the
    fitted service itself (a fit to band snapshots starts it from the first fitted month), written
    as ``out/service.yaml``, which the fitted scenario then extends.
    """
    out = Path(out)
    yaml_path = Path(yaml_path) if yaml_path else out / "calibrated.yaml"
    inside = yaml_path.resolve().parent == out.resolve()
    draws_path = out / DRAWS_FILE if inside else yaml_path.with_name(f"{yaml_path.stem}_{DRAWS_FILE}")
    outputs = f"--out {quote(str(out))} --yaml {quote(str(yaml_path))}"
    base_path = out / BASE_FILE
    extends = (
        relative_extends(base_path, yaml_path)
        if base_text
        else fitted_extends(result, config_path, yaml_path)
    )
    text = scenario_text(result, extends, relative_extends(draws_path, yaml_path), outputs)
    with staged(out) as folder:
        written = [write_text(base_text, folder / BASE_FILE)] if base_text else []
        written += [write_text(text, folder / yaml_path.name)] if inside else []
        written += _fit_files(result, folder, config_path, yaml_path, written)
        if not inside:  # last, draws before the file naming them: a failure before leaves no fitted file
            beside = write_table(result.parameter_draws(), draws_path)
            written = [write_text(text, yaml_path), beside, *written]
    return [path if path.parent != folder else out / path.name for path in written]


def _fit_files(
    result: FitResult, folder: Path, config_path: str | Path | None, yaml_path: Path, written: list[Path]
) -> list[Path]:
    """Everything of a fit but the YAML, into ``folder``; the manifest lists ``written`` too."""
    files = [write_table(result.parameter_draws(), folder / DRAWS_FILE), *_fit_tables(result, folder)]
    charts = []
    for metric in dict.fromkeys(result.history.columns):
        series = _series(result.history.frame, result.history.columns, metric)
        charts.append(
            write_figure(
                lambda p, m=metric, s=series: history_chart(
                    result.summary, m, s, p, f"{LABELS.get(m, m)}: calibrated model against the history"
                ),
                folder / f"fit_{metric}.png",
            )
        )
    charts.append(write_figure(lambda p: posterior_chart(result, p), folder / "posterior.png"))
    files += charts
    parts = [
        f"<p>Service <code>{html.escape(str(result.info['config']))}</code> fitted to "
        f"<code>{html.escape(str(result.info['history']))}</code>. Fitted scenario: "
        f"<code>{html.escape(str(yaml_path))}</code>.</p>",
        "<h2>Diagnostics</h2>",
        _warnings(result.warnings),
        "<h2>Parameters</h2><p>estimate = best fit (common random numbers); median, low, high = "
        "posterior median and 90% range (approximate Bayesian computation); share_of_bounds = how much "
        "of the search box the range covers.</p>",
        _table(result.table),
        "<h2>Fit against the history</h2><p>The table: replications run from the snapshot, each with "
        "parameters drawn from the posterior (what a run of the fitted file gives); coverage_80 = share "
        "of months inside their 10-90% band; rms_change = the root-mean-square change between consecutive "
        "reported months, beside the same figure of each replication (10th, 50th, 90th centile; "
        "rms_change_percentile: the share of replications that move less). The charts: the forecast, "
        "continued from the draws that came nearest the history, level-corrected to the last "
        "reported month and regression-adjusted for how far each draw was from it, so its band starts "
        "at that figure and widens with the model's chance and the parameters' uncertainty.</p>",
        _table(result.checks),
        *[_image(c) for c in charts],
        *_correlation(result),
        "<h2>Settings</h2>",
        _settings(result.info),
    ]
    files.append(write_text(page("Calibration report", parts), folder / "fit_report.html"))
    files.append(_manifest(result, folder, config_path, [*written, *files]))
    return files


def _fit_tables(result: FitResult, out: Path, prefix: str = "") -> list[Path]:
    return [
        write_table(result.table, out / f"{prefix}parameters.csv"),
        write_table(result.posterior, out / f"{prefix}posterior.csv"),
        write_table(result.checks, out / f"{prefix}fit_checks.csv"),
        write_table(result.trace, out / f"{prefix}objective_trace.csv"),
        write_table(result.forecast_draws, out / f"{prefix}forecast_parameters.csv"),
        write_table(result.summary, out / f"{prefix}summary.csv"),
    ]


def _manifest(
    result: FitResult, out: Path, config_path, written: list[Path], name: str = "manifest.json"
) -> Path:
    started = dt.datetime.fromisoformat(result.info["started"])
    history = Path(str(result.info["history"]))
    extra = {"calibration": result.info, "files": [p.name for p in written]}
    if history.is_file():
        extra["history_sha256"] = file_hash(history)
    info = manifest({"config": config_path}, result.info["seed"], result.info["reps"], started, extra)
    return write_manifest(info, out / name)
