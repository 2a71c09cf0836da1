"""What each replication of a run is built from: the scenario, its parameter draw, extra columns.

The runner sends one ``ReplicationPlan`` to every worker; ``model(seed, replication)``
builds that replication's model. A plain ``ServiceConfig`` is the plan with no draws.
With parameter draws, replication ``r`` runs the scenario with the draw its own stream picks
(``sim.runs.parameter_draws``). With wait bands (conditioning on a weeks-band snapshot), each
month's record also counts the patients waiting in each band.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.engine.config import ServiceConfig
from sim.engine.model import ServiceModel
from sim.runs.parameter_draws import DrawTable, apply_draw

WaitBand = tuple[str, float, float]  # column name, from weeks (inclusive), to weeks (exclusive)


class BandedModel(ServiceModel):
    """A ``ServiceModel`` whose month-end records also count open clocks by weeks-waiting band."""

    def __init__(
        self, config: ServiceConfig, seed: int, replication: int, bands: tuple[WaitBand, ...]
    ) -> None:
        self.bands = bands
        super().__init__(config, seed, replication)

    def _census(self, env):
        # Each record is appended just before the next month's timeout is yielded (or the
        # process ends), at the census instant, so the lists counted are the census's.
        for event in super()._census(env):
            self._count_bands()
            yield event
        self._count_bands()

    def _count_bands(self) -> None:
        if not self.records or self.bands[0][0] in self.records[-1]:
            return
        day = float(self.calendar.month_ends[len(self.records) - 1])
        waits = (day - np.fromiter(self.open_clocks.values(), float, len(self.open_clocks))) / 7
        for name, low, high in self.bands:
            self.records[-1][name] = int(np.count_nonzero((waits >= low) & (waits < high)))


@dataclass
class ReplicationPlan:
    """A scenario, optionally with parameter draws and wait-band columns, for every replication."""

    config: ServiceConfig
    draws: DrawTable | None = None
    bands: tuple[WaitBand, ...] = ()
    _document: dict[str, Any] | None = field(default=None, repr=False)
    _built: dict[int, ServiceConfig] = field(default_factory=dict, repr=False)

    def config_for(self, seed: int, replication: int) -> ServiceConfig:
        """The scenario with replication ``replication``'s draw set (validated once per draw)."""
        if self.draws is None:
            return self.config
        index = self.draws.index_for(seed, replication)
        if index not in self._built:
            if self._document is None:
                self._document = self.config.model_dump(mode="json")
            self._built[index] = apply_draw(self._document, self.draws.changes(index), str(self.draws.path))
        return self._built[index]

    def model(self, seed: int, replication: int, trace: bool = False) -> ServiceModel:
        config = self.config_for(seed, replication)
        if trace:
            from sim.runs.trace import TracedModel

            return TracedModel(config, seed, replication)
        if self.bands:
            return BandedModel(config, seed, replication, self.bands)
        return ServiceModel(config, seed, replication)

    def model_dump_json(self) -> str:
        """A fingerprint of everything the plan changes, for checkpoint keys (a plain plan: the config's)."""
        if self.draws is None and not self.bands:
            return self.config.model_dump_json()
        extra = {"draws": self.draws.sha256 if self.draws else None, "bands": list(self.bands)}
        return self.config.model_dump_json() + json.dumps(extra)


def as_plan(config: ServiceConfig | ReplicationPlan) -> ReplicationPlan:
    return config if isinstance(config, ReplicationPlan) else ReplicationPlan(config)
