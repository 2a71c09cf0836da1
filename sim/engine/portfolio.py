"""A portfolio file: a provider's services side by side, with staff pools that work across them.

```yaml
portfolio:
  title: Children's therapies
  services:                       # each an ordinary dcsim service or scenario file
    - {name: north, file: north.yaml}
    - {name: south, file: south.yaml}
  staff_pools:                    # staff who work across services, each by a rule
    - {name: shared band 6, role: band6, wte: 2, rule: fixed_split, split: {north: 0.5, south: 0.5}}
  events:                         # dated moves of staff between services
    - {date: 2024-10-01, move_wte: {role: band6, wte: 1, from: north, to: south}}
```

The engine is not changed: each service is still one ``ServiceConfig``. A pool's share of WTE
becomes a staff group of its own at the end of that service's ``workforce`` (its posts are the
pool's people), and a move becomes a ``remove_staff`` event in the service it leaves and an
``add_staff`` event in the one it joins, on the same date. The moved WTE ramps up in the
receiving service as a new starter does (``job_plans.<role>.ramp_up_weeks``): the stated cost
of taking on a new caseload. Rules not built yet (referral pressure, breach pressure) and
travel time are refused with the reason, never ignored.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from sim.engine.config import ServiceConfig
from sim.engine.events import Event
from sim.engine.input_files import ConfigError
from sim.engine.portfolio_scenario import PORTFOLIO_KEY, extended
from sim.engine.scenario import format_validation_error, read_yaml, resolve, validate
from sim.engine.strict import Strict

MAX_SERVICES = 100
NOT_BUILT = {
    "referral_pressure": "sharing a pool by referral pressure is not built yet; use fixed_split "
    "with the shares you expect, or dated move_wte events",
    "breach_pressure": "sharing a pool by breach pressure (weeks over target) is not built yet; use "
    "fixed_split with the shares you expect, or dated move_wte events",
}
NOT_BUILT_KEYS = {
    "travel_time": "travel time between services is not modelled yet; lower the pool's wte by the "
    "time lost to travel (e.g. 0.1 WTE per WTE) and say so in the pool's name",
    "switching_cost": "a moved post ramps up as a new starter in the service it joins "
    "(job_plans.<role>.ramp_up_weeks and ramp_up_start); there is no separate switching cost",
}


FIELD_NAMES = (
    "services", "staff_pools", "events", "every_service", "service_events", "split", "rule", *NOT_BUILT_KEYS
)



class PortfolioService(Strict):
    """One service of the portfolio: a name and its ordinary dcsim service file."""

    name: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.-]*$",
                      description="Service name in tables and folder names.")
    file: str = Field(min_length=1, description="Service or scenario YAML, relative to the portfolio file.")


class StaffPool(Strict):
    """Staff of one role who work across services, shared by a stated rule."""

    name: str = Field(min_length=1, max_length=60, description="What the pool is, shown in the manifest.")
    role: str = Field(description="Role; every service it is split to needs a job plan for it.")
    wte: float = Field(gt=0, le=2000, description="Whole-time equivalents in the pool.")
    rule: Literal["fixed_split"] = Field(description="How the pool is shared (only fixed_split is built).")
    split: dict[str, float] = Field(description="Share of the pool's WTE each service gets; sums to 1.")

    @model_validator(mode="before")
    @classmethod
    def _refuse_unbuilt(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, reason in NOT_BUILT_KEYS.items():
                if key in data:
                    raise ValueError(f"{key}: {reason}")
            rule = data.get("rule")
            if isinstance(rule, str) and rule in NOT_BUILT:
                raise ValueError(f"rule: {rule}: {NOT_BUILT[rule]}")
        return data

    @model_validator(mode="after")
    def _shares(self) -> StaffPool:
        if not self.split:
            raise ValueError("split: name at least one service")
        if any(not 0 < share <= 1 for share in self.split.values()):
            raise ValueError("split: each share must be above 0 and at most 1")
        if abs(sum(self.split.values()) - 1) > 1e-9:
            raise ValueError(f"split: shares sum to {sum(self.split.values()):g}, not 1")
        return self


class WteMove(Strict):
    """WTE of a role moved from one service to another from a date."""

    role: str = Field(description="Role moved.")
    wte: float = Field(gt=0, le=500, description="Whole-time equivalents moved.")
    from_: str = Field(alias="from", description="Service the WTE leaves.")
    to: str = Field(description="Service the WTE joins (ramping up as a new starter).")

    @model_validator(mode="after")
    def _two_services(self) -> WteMove:
        if self.from_ == self.to:
            raise ValueError("from and to name the same service")
        return self


class PortfolioEvent(Strict):
    """A dated change across services."""

    date: dt.date = Field(description="Day the change takes effect.")
    label: str | None = Field(None, description="What this models, shown in the services' events.")
    move_wte: WteMove = Field(description="WTE moved from one service to another.")


class PortfolioSpec(Strict):
    """The ``portfolio:`` block."""

    title: str | None = Field(None, min_length=1, max_length=80, description="Label in tables and reports.")
    services: list[PortfolioService] = Field(min_length=1, max_length=MAX_SERVICES)
    staff_pools: list[StaffPool] = Field(default_factory=list, max_length=MAX_SERVICES)
    events: list[PortfolioEvent] = Field(default_factory=list, max_length=1000)
    every_service: list[Event] = Field(
        default_factory=list, max_length=1000,
        description="Ordinary service events applied to every service (one plan for all).",
    )
    service_events: dict[str, list[Event]] = Field(
        default_factory=dict, description="Ordinary service events added to the named service."
    )

    @model_validator(mode="after")
    def _names_resolve(self) -> PortfolioSpec:
        names = [s.name for s in self.services]
        if len(set(names)) != len(names):
            raise ValueError("services: two services share a name")
        known = set(names)
        for p, pool in enumerate(self.staff_pools):
            for name in pool.split:
                if name not in known:
                    raise ValueError(f"staff_pools.{p}.split.{name}: no service of that name")
        for e, event in enumerate(self.events):
            for end in (event.move_wte.from_, event.move_wte.to):
                if end not in known:
                    raise ValueError(f"events.{e}.move_wte: {end}: no service of that name")
        for name in self.service_events:
            if name not in known:
                raise ValueError(f"service_events.{name}: no service of that name")
        return self


class PortfolioFile(Strict):
    portfolio: PortfolioSpec


@dataclass
class PortfolioServiceConfig:
    """One service as the portfolio runs it: its config with the pools' shares and moves applied."""

    name: str
    path: Path
    config: ServiceConfig
    document: dict[str, Any]


@dataclass
class Portfolio:
    """A validated portfolio: its spec and each service's config, in the file's order."""

    path: Path | None
    spec: PortfolioSpec
    services: list[PortfolioServiceConfig]
    document: dict[str, Any] = field(default_factory=dict)  # the portfolio block, extends merged

    def path_of(self, name: str) -> Path:
        """The service file of the service called ``name``."""
        return next(s.path for s in self.services if s.name == name)

    @property
    def title(self) -> str:
        return self.spec.title or (self.path.stem if self.path else "portfolio")


def is_portfolio(path: str | Path) -> bool:
    """Whether a YAML file is a portfolio (its top level holds ``portfolio:``)."""
    try:
        return PORTFOLIO_KEY in read_yaml(Path(path))
    except ConfigError:
        return False


def service_seed(seed: int, name: str, first: bool) -> int:
    """The seed a service runs with in a portfolio run with ``seed``.

    The first service listed runs with the run's seed itself, so a portfolio of one service gives
    exactly that service's numbers run alone. Every other service runs with the first 63 bits of
    SHA-256 of ``"<seed>/<name>"``: its own numbers, unchanged when services are added, removed or
    reordered after the first.
    """
    if first:
        return seed
    digest = hashlib.sha256(f"{seed}/{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def with_pools(
    spec: PortfolioSpec, name: str, document: dict[str, Any], block: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A service's document with its share of each pool, the moves in or out of it, and the events
    of ``every_service`` and ``service_events.<name>`` (taken as written from the portfolio block
    ``block``, so an event's defaults are the service's own) added."""
    changed = copy.deepcopy(document)
    workforce = list(changed.get("workforce") or [])
    for pool in spec.staff_pools:
        if name in pool.split:
            workforce.append({"role": pool.role, "wte": pool.wte * pool.split[name]})
    changed["workforce"] = workforce
    events = list(changed.get("events") or [])
    for event in spec.events:
        move = event.move_wte
        label = event.label or f"{move.wte:g} WTE {move.role} moved from {move.from_} to {move.to}"
        change = {"role": move.role, "wte": move.wte}
        if move.from_ == name:
            events.append({"date": event.date, "label": label, "remove_staff": change})
        elif move.to == name:
            events.append({"date": event.date, "label": label, "add_staff": change})
    block = block or {}
    events += copy.deepcopy(list(block.get("every_service") or []))
    events += copy.deepcopy(list((block.get("service_events") or {}).get(name) or []))
    changed["events"] = events
    return changed


def load_portfolio(path: str | Path, seen: tuple[Path, ...] = ()) -> Portfolio:
    """Read and validate a portfolio file and every service it names (``file: field: message``).

    A portfolio scenario names its base with ``extends:`` (``sim.engine.portfolio_scenario``)."""
    path = Path(path)
    document = extended(path, read_yaml(path), seen, load_portfolio)
    try:
        spec = PortfolioFile.model_validate(document).portfolio
    except ValidationError as error:
        raise ConfigError(_joined(format_validation_error(str(path), error))) from None
    services = []
    for number, service in enumerate(spec.services):
        file = (path.parent / service.file).resolve()
        where = f"{path}: portfolio.services.{number}.file"
        if not file.is_file():
            raise ConfigError(f"{where}: {service.file}: file not found")
        if is_portfolio(file):
            raise ConfigError(f"{where}: {service.file}: is a portfolio; a portfolio lists service files")
        raw, _ = resolve(file)
        if "sweep" in raw:
            raise ConfigError(f"{where}: {service.file}: a sweep stands for several scenarios, not one")
        validate(raw, str(file))  # the service as its own file says, before the pools change it
        _check_roles(spec, service.name, raw, path)
        changed = with_pools(spec, service.name, raw, document[PORTFOLIO_KEY])
        config = validate(changed, f"{path} (service {service.name}, with its pools and moves)")
        services.append(PortfolioServiceConfig(service.name, file, config, changed))
    _check_calendars(services, path)
    return Portfolio(path, spec, services, document[PORTFOLIO_KEY])


def _joined(text: str) -> str:
    """``portfolio.staff_pools.0: split: ...`` -> ``portfolio.staff_pools.0.split: ...``: a check of a
    whole block names the field it found wrong first, so the field reads as one dotted path."""
    return re.sub(rf"(: portfolio[\w.]*): ({'|'.join(FIELD_NAMES)})\b", r"\1.\2", text)


def _check_roles(spec: PortfolioSpec, name: str, raw: dict[str, Any], path: Path) -> None:
    plans = raw.get("job_plans") or {}
    for p, pool in enumerate(spec.staff_pools):
        if name in pool.split and pool.role not in plans:
            raise ConfigError(
                f"{path}: portfolio.staff_pools.{p}.role: {pool.role}: service {name} has no job plan for it"
            )
    for e, event in enumerate(spec.events):
        if name in (event.move_wte.from_, event.move_wte.to) and event.move_wte.role not in plans:
            raise ConfigError(
                f"{path}: portfolio.events.{e}.move_wte.role: {event.move_wte.role}: service {name} "
                "has no job plan for it"
            )


def _check_calendars(services: list[PortfolioServiceConfig], path: Path) -> None:
    """The total adds services month by month, so they must simulate the same months."""
    first = services[0]
    for number, other in enumerate(services[1:], start=1):
        a, b = first.config.service, other.config.service
        if (a.start_date, a.horizon_months) != (b.start_date, b.horizon_months):
            raise ConfigError(
                f"{path}: portfolio.services.{number}: {other.name} starts {b.start_date} for "
                f"{b.horizon_months} months, but {first.name} starts {a.start_date} for {a.horizon_months}; "
                "the portfolio total needs every service on the same months"
            )
