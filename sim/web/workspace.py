"""What a browser session is working on: the baseline service and the named scenarios.

Plain data, no Streamlit: the pages keep one ``Workspace`` in the session and call these
methods. Every change goes through ``sim.engine.scenario.validate``, so the messages are the CLI's.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sim.engine.config import ServiceConfig
from sim.engine.scenario import ConfigError, deep_merge, resolve, validate
from sim.engine.sweep import Scenario, get_field, set_field
from sim.runs.parameter_draws import refuse_drawn

EXAMPLE = Path(__file__).resolve().parents[2] / "scenarios" / "example" / "baseline.yaml"
BASELINE = "baseline"
DRAWS_NAME = "parameter_draws.csv"  # as `dcsim calibrate` names it


@dataclass
class NamedScenario:
    """A scenario made in the browser: the baseline plus dated changes (event dicts)."""

    name: str
    events: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Workspace:
    """The baseline document (edited by the forms), its source name and the scenarios."""

    document: dict[str, Any]
    source: str
    scenarios: list[NamedScenario] = field(default_factory=list)
    actuals: pd.DataFrame | None = None
    goal: str | None = None  # the goal asked on the Run page, in the CLI's syntax
    asked: dict[str, Any] = field(default_factory=dict)  # kind -> answers.Asked of the last question
    # Where the service came from when it was built from published waits (``sim.web.waits``):
    # the series, its problems, the fit's ranges and forecast, as JSON-ready data. A baseline
    # loaded afterwards is a new ``Workspace``, so this never describes a service it did not build.
    origin: dict[str, Any] | None = None

    @classmethod
    def from_file(cls, path: str | Path) -> Workspace:
        """A baseline given on the command line (the operator's file; ``extends:`` is followed)."""
        document, _ = resolve(Path(path))
        document.pop("sweep", None)
        workspace = cls(document, Path(path).name)
        workspace.config()  # fail now, with the CLI's message, if the file is invalid
        return workspace

    @classmethod
    def example(cls) -> Workspace:
        return cls.from_file(EXAMPLE)

    def config(self) -> ServiceConfig:
        return validate(copy.deepcopy(self.document), self.source)

    def with_values(self, values: dict[str, Any]) -> ServiceConfig:
        """Apply form values (dotted path -> value) if the result is valid; raise ConfigError if not.

        A setting the calibrated draws set in every run may not be changed here: runs would
        overwrite it (the CLI refuses a lever or a varied field that is drawn the same way).
        """
        changed = [p for p, v in values.items() if get_field(self.document, p) != v]
        if changed and self.document.get("parameter_draws"):
            refuse_drawn(self.config(), changed, self.source)
        return self._apply(values)

    def _apply(self, values: dict[str, Any]) -> ServiceConfig:
        document = copy.deepcopy(self.document)
        for path, value in values.items():
            set_field(document, path, value)
        config = validate(document, self.source)
        self.document = document
        return config

    def with_draws(self, values: dict[str, Any], draws_file: Path) -> ServiceConfig:
        """The fitted values, and every later run drawing its fitted settings from ``draws_file``.

        ``draws_file`` is one the app wrote (never a path from the browser); a YAML taken away
        names it as ``parameter_draws.csv``, to be saved beside it.
        """
        reference = {"file": str(Path(draws_file).resolve()), "use": True}
        return self._apply({**values, "parameter_draws": reference})  # new draws replace any earlier

    def draws_file(self) -> Path | None:
        """The parameter draws file the service's runs use, if a calibration put one there."""
        spec = self.document.get("parameter_draws")
        return Path(spec["file"]) if spec else None

    # --- scenarios ---------------------------------------------------------------------------
    def names(self) -> list[str]:
        return [BASELINE, *(s.name for s in self.scenarios)]

    def scenario(self, name: str) -> NamedScenario:
        for scenario in self.scenarios:
            if scenario.name == name:
                return scenario
        raise KeyError(name)

    def add_scenario(self, name: str) -> NamedScenario:
        name = (name or "").strip()
        if not name:
            raise ConfigError("scenario name: give the scenario a name")
        if name in self.names():
            raise ConfigError(f"scenario name: {name!r} is already used")
        scenario = NamedScenario(name)
        self.scenarios.append(scenario)
        return scenario

    def remove_scenario(self, name: str) -> None:
        self.scenarios = [s for s in self.scenarios if s.name != name]

    def add_change(self, name: str, event: dict[str, Any]) -> None:
        """Add a dated change to a scenario if the scenario stays valid (CLI messages if not)."""
        scenario = self.scenario(name)
        self.scenario_config(name, [*scenario.events, event])
        scenario.events.append(event)

    def scenario_document(self, name: str, events: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """The whole-service document of a scenario: baseline with its events appended."""
        if name == BASELINE:
            return copy.deepcopy(self.document)
        chosen = self.scenario(name).events if events is None else events
        return deep_merge(self.document, {"events": copy.deepcopy(chosen)})

    def scenario_config(self, name: str, events: list[dict[str, Any]] | None = None) -> ServiceConfig:
        return validate(self.scenario_document(name, events), f"scenario {name!r}")

    def run_scenarios(self, names: list[str] | None = None) -> list[Scenario]:
        """Validated scenarios to run, baseline first (the comparison's reference)."""
        chosen = names or self.names()
        ordered = [n for n in self.names() if n in chosen]
        return [Scenario(n, self.scenario_config(n), self.scenario_document(n)) for n in ordered]

    def scenario_yaml(self, name: str, reps: int = 100, seed: int = 0) -> str:
        """The scenario as one self-contained YAML file that the CLI runs to the same numbers."""
        self.scenario_config(name)  # only valid scenarios leave the browser
        stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
        header = [
            f"# dcsim scenario {name!r}, exported from the browser explorer on {dt.date.today()}.",
            f"# Built from {self.source}; the whole service is here (no extends:).",
            f"# Same numbers as the browser: dcsim run {stem}.yaml --reps {reps} --seed {seed} "
            f"--out results/{stem}",
        ]
        document = self.scenario_document(name)
        if document.get("parameter_draws"):  # the app's own copy is not on the user's machine
            document["parameter_draws"] = {**document["parameter_draws"], "file": DRAWS_NAME}
            header.append(f"# Save {DRAWS_NAME} (Take it away page) beside this file: runs draw from it.")
        body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
        return "\n".join(header) + "\n" + body
