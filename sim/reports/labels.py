"""How scenarios, numbers and changes are written for people, the same in every output."""

from __future__ import annotations

from sim.engine.sweep import Scenario, format_value


def scenario_label(scenario: Scenario) -> str:
    """The scenario's ``title:`` (with any swept or solved value), else its name (the file name)."""
    title = scenario.config.title
    if not title:
        return scenario.name
    if scenario.changes:
        shown = ", ".join(f"{k}={format_value(v)}" for k, v in scenario.changes.items())
        return f"{title} [{shown}]"
    return title


def own_change(scenario: Scenario, baseline: Scenario) -> str:
    """A scenario with its baseline's title named by its change: its own name (given in the
    explorer, or the file name), else the labels of the events it adds to the baseline's."""
    if scenario.name and not scenario.name.startswith(baseline.name):
        return scenario.name
    added = [e for e in scenario.config.events if e not in baseline.config.events]
    labels = [e.label for e in added if e.label]
    return "; ".join(labels) if labels else scenario.name


def scenario_labels(scenarios: list[Scenario]) -> dict[str, str]:
    """Scenario name -> label; repeated titles keep their file name so rows stay distinct.

    A scenario carrying the baseline's title without being the baseline (made in the explorer
    from the baseline's document, or built from a config) is named by its own change instead.
    """
    labels = {s.name: scenario_label(s) for s in scenarios}
    base = scenarios[0] if scenarios else None
    for s in scenarios[1:]:
        if base.config.title and s.config.title == base.config.title and s.config != base.config:
            labels[s.name] = own_change(s, base)
    counts: dict[str, int] = {}
    for label in labels.values():
        counts[label] = counts.get(label, 0) + 1
    return {name: (f"{label} ({name})" if counts[label] > 1 else label) for name, label in labels.items()}


def signed(value: float, digits: int = 0) -> str:
    """A difference with its sign; zero (including -0.0 after rounding) has none."""
    text = f"{value:+,.{digits}f}"
    return text[1:] if float(text) == 0 else text


def plain(value: float, digits: int = 0) -> str:
    """A number without a negative zero."""
    text = f"{value:,.{digits}f}"
    return text.lstrip("-") if float(text.replace(",", "")) == 0 else text


def points(change: float) -> str:
    """A change in a probability, in percentage points ("+30 percentage points")."""
    amount = signed(change * 100)
    return "no change" if amount == "0" else f"{amount} percentage points"


def safe_name(name: str) -> str:
    """A scenario name usable in a file name."""
    return "".join(c if c.isalnum() or c in "-_.=[]" else "_" for c in name)


def versus_baseline(difference: float) -> str:
    """ "433 fewer than the baseline", "12 more ...", or "the same as the baseline"."""
    change = signed(difference)
    if change == "0":
        return "the same as the baseline"
    return f"{change.lstrip('+-')} {'fewer' if change.startswith('-') else 'more'} than the baseline"
