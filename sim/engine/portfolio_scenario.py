"""A portfolio scenario: a portfolio file that ``extends:`` another and changes its plan.

```yaml
extends: portfolio.yaml            # the base portfolio, relative to this file
portfolio:
  title: Move 1 WTE north to south
  events:                          # added after the base's dated moves
    - {date: 2025-01-01, move_wte: {role: band6, wte: 1, from: north, to: south}}
  service_events:                  # ordinary service events added to one named service
    south: [{date: 2025-01-01, add_staff: {role: band6, wte: 1}}]
  every_service:                   # one plan applied to every service
    - {date: 2025-01-01, validate_list: {share_removed: 0.05}}
  staff_pools: [...]               # if given, replaces the base's pools (e.g. another split)
```

A scenario keeps its base's services, in the base's order and with their files: each service
then runs with the same seed in both (``service_seed``), so a service the scenario does not
change gives exactly the base's numbers and the differences are paired (common random numbers).
Listing ``services:`` in a scenario is therefore refused with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.engine.input_files import ConfigError
from sim.engine.scenario import read_yaml

EXTENDS = "extends"
PORTFOLIO_KEY = "portfolio"
MAX_EXTENDS = 10
APPENDED = ("events", "every_service")


def extended(
    path: Path, document: dict[str, Any], seen: tuple[Path, ...], load: Callable[..., Any]
) -> dict[str, Any]:
    """``document`` with its base portfolio merged in, when it names one; the base is validated
    first by ``load`` (``load_portfolio``), as a portfolio of its own, so its errors name its own file."""

    if EXTENDS not in document:
        return document
    parent = document.pop(EXTENDS)
    here = path.resolve()
    if not isinstance(parent, str) or not parent:
        raise ConfigError(f"{path}: extends: name the base portfolio file")
    base_path = (here.parent / parent).resolve()
    if base_path in (*seen, here):
        raise ConfigError(f"{path}: extends: circular chain of portfolio files")
    if len(seen) >= MAX_EXTENDS:
        raise ConfigError(f"{path}: extends: a chain of more than {MAX_EXTENDS} portfolio files")
    if not base_path.is_file():
        raise ConfigError(f"{path}: extends: {parent}: file not found")
    block = document.get(PORTFOLIO_KEY)
    if not isinstance(block, dict):
        raise ConfigError(f"{path}: portfolio: a portfolio scenario needs a portfolio: block (title, events)")
    if "services" in block:
        raise ConfigError(
            f"{path}: portfolio.services: a portfolio scenario keeps its base's services, so each "
            "service's random numbers are common to both; write a portfolio of its own for other services"
        )
    base_document = read_yaml(base_path)
    if PORTFOLIO_KEY not in base_document:
        raise ConfigError(f"{path}: extends: {parent}: is not a portfolio file (no portfolio: block)")
    base = load(base_path, (*seen, here))  # the base's own errors, in its own name
    merged = {key: value for key, value in base.document.items() if key != "title"}
    # Service files are relative to the base; anchored there, they read the same from here.
    merged["services"] = [dict(s, file=str(base.path_of(s["name"]))) for s in merged["services"]]
    for key, value in block.items():
        if key in APPENDED and isinstance(value, list):
            merged[key] = [*merged.get(key, []), *value]
        elif key == "service_events" and isinstance(value, dict):
            events = dict(merged.get(key) or {})
            for name, added in value.items():
                events[name] = [*events.get(name, []), *added] if isinstance(added, list) else added
            merged[key] = events
        else:
            merged[key] = value  # title, staff_pools: the scenario's own
    return {**document, PORTFOLIO_KEY: merged}
