"""Which finished answers still match the workspace: stale ones are marked and re-run.

An answer is kept with the request that produced it (``Asked``: the job's key and what was
asked). The key is a digest of the validated services, seed and replications, so the answer
is current exactly when the same request made from the workspace now gives the same key; after
the service or a scenario changed (or stopped validating) it is stale. No Streamlit here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sim.engine.scenario import ConfigError
from sim.web.jobs import request_key
from sim.web.workspace import Workspace

STALE = (
    "These answers were worked out before the service or a scenario changed, so they may no "
    "longer hold. Re-run to bring them up to date."
)


@dataclass
class Asked:
    """A question put to the app: its kind, the job key of its answer and what was asked."""

    kind: str  # "compare", "capacity" or "fit"
    key: str
    request: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "key": self.key, "request": _plain(self.request)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Asked:
        return cls(str(data["kind"]), str(data["key"]), dict(data.get("request", {})))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def comparison_key(space: Workspace, names: list[str], reps: int, seed: int) -> str:
    """The key a comparison of ``names`` asked now would have (ConfigError if one no longer validates)."""
    scenarios = space.run_scenarios(names)
    return request_key("compare", [(s.name, s.config) for s in scenarios], seed, reps)


def capacity_key(space: Workspace, question: Any, reps: int, seed: int) -> str:
    from sim.web.questions import capacity_scenario

    scenario, _ = capacity_scenario(space, question)
    return request_key("solve", [(scenario.name, scenario.config)], seed, reps, question=repr(question))


def service_key(space: Workspace) -> str:
    """A digest of the validated baseline service (what a fit starts from)."""
    return request_key("service", [("baseline", space.config())], 0, 0)


def current_key(space: Workspace, asked: Asked) -> str | None:
    """The key the same request made now would have; None when it no longer validates."""
    try:
        if asked.kind == "compare":
            request = asked.request
            return comparison_key(space, list(request["names"]), int(request["reps"]), int(request["seed"]))
        if asked.kind == "capacity":
            request = asked.request
            return capacity_key(space, capacity_question(request), int(request["reps"]), int(request["seed"]))
        if asked.kind == "fit":
            return service_key(space)
    except (ConfigError, KeyError, ValueError):
        return None
    raise ValueError(f"unknown kind of answer: {asked.kind}")


def is_stale(space: Workspace, asked: Asked | None) -> bool:
    """True when the workspace changed since ``asked`` was answered."""
    if asked is None:
        return False
    basis = asked.request.get("basis", asked.key) if asked.kind == "fit" else asked.key
    return current_key(space, asked) != basis


def capacity_request(question: Any, reps: int, seed: int) -> dict[str, Any]:
    return {**dataclasses.asdict(question), "reps": reps, "seed": seed}


def capacity_question(request: dict[str, Any]) -> Any:
    """The ``CapacityQuestion`` a stored request stands for."""
    from sim.web.questions import CapacityQuestion

    names = [f.name for f in dataclasses.fields(CapacityQuestion)]
    values = {name: request[name] for name in names if name in request}  # older requests: defaults
    if isinstance(values["start"], str):
        values["start"] = dt.date.fromisoformat(values["start"])
    return CapacityQuestion(**values)
