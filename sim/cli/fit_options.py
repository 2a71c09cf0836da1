"""Parsing ``calibrate`` and ``backtest``'s fitting options: priors (bounds), targets, fitted fields.

A malformed option is a user error (``sim.cli.common.fail``: one line, exit 2).
"""

from __future__ import annotations

from sim.cli.common import fail


def parse_bounds(items: list[str] | None) -> dict[str, tuple[float, float]]:
    """``PATH=LOW,HIGH`` options as a mapping; a malformed one is a user error."""
    bounds = {}
    for item in items or []:
        path, _, pair = item.partition("=")
        parts = pair.split(",")
        try:
            low, high = (float(p) for p in parts)
        except ValueError:
            fail(f"--bounds {item}: expected PATH=LOW,HIGH with two numbers")
        bounds[path.strip()] = (low, high)
    return bounds


def parse_priors(items: list[str] | None) -> tuple[dict[str, tuple[float, float]], set[str]]:
    """``PATH=LOW,HIGH`` (uniform prior) or ``PATH=LOW,HIGH,log`` (log-uniform) options."""
    plain, logs = [], set()
    for item in items or []:
        head, sep, tail = item.rpartition(",")
        if sep and tail.strip().lower() == "log":
            logs.add(head.partition("=")[0].strip())
            item = head
        plain.append(item)
    return parse_bounds(plain), logs


def parse_targets(items: list[str] | None) -> dict[str, str] | None:
    if not items:
        return None
    targets = {}
    for item in items:
        metric, _, column = item.partition("=")
        if not metric.strip() or not column.strip():
            fail(f"--target {item}: expected METRIC=COLUMN, e.g. breaches=projected_breaches")
        targets[metric.strip()] = column.strip()
    return targets


def parameter_list(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]
