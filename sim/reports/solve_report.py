"""solve.html: the answer in words, P(goal) against the lever's values, the trajectory at the answer."""

from __future__ import annotations

from pathlib import Path

from sim.engine.sweep import format_value
from sim.questions.results import SolveResult
from sim.reports.report import STYLE
from sim.reports.report_sections import esc, image_html, table_html
from sim.runs.files import write_text


def render_solve(result: SolveResult, chart: Path, fan: Path | None) -> str:
    rows = []
    for row in result.evaluations.itertuples(index=False):
        cells = [
            format_value(row.value),
            f"{row.probability:.0%}",
            f"{row.p_low:.0%} to {row.p_high:.0%}",
            f"{row.met} of {row.replications}",
            "yes" if row.meets_confidence else "no",
        ]
        rows.append((cells, "changed" if row.solution else ""))
    header = [
        esc(result.lever),
        "P(goal)",
        "90% interval",
        "Simulated futures meeting it",
        f"At least {result.confidence:.0%}?",
    ]
    title = f"{result.scenario.config.service.name}: what it takes to meet {result.goal.text}"
    parts = [
        f"<h1>{esc(title)}</h1>",
        f'<p class="answer"><b>{esc(result.sentence or result.message)}</b></p>',
        f'<p class="note">Goal: {esc(result.goal.describe())}. Each value of {esc(result.lever)} was '
        f"simulated {result.manifest.get('replications', '')} times on the same random numbers (seed "
        f"{result.manifest.get('seed', '')}), so P(goal) moves with the lever, not with chance. Values were "
        "chosen by bisection; not every value on the grid was run.</p>",
        "<h2>Probability of meeting the goal against the lever</h2>",
        image_html(chart, "P(goal) against the lever"),
        table_html(header, rows, label_first=False),
    ]
    if fan is not None and fan.exists():
        parts += ["<h2>Breaches at the answer</h2>", image_html(fan, "Breaches at the answer")]
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>'
        f"<style>{STYLE}</style></head><body>{''.join(parts)}</body></html>\n"
    )


def write_solve_report(result: SolveResult, out: Path) -> Path:
    """solve.html in ``out`` (goal_probability.png and breaches_fan.png must be there)."""
    out = Path(out)
    return write_text(
        render_solve(result, out / "goal_probability.png", out / "breaches_fan.png"), out / "solve.html"
    )
