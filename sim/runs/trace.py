"""Per-patient event logs, written only when ``--trace`` asks for them.

``TracedModel`` is the service model plus a log of each referral's steps: receipt (or
presence in the starting snapshot), triage outcome, attended and missed contacts, removal
from the list and discharge. A referral is known by its sequence number within its
replication, never by anything identifying. Tracing changes no monthly figure: it only
watches the model's own state changes.
"""

from __future__ import annotations

import math

import pandas as pd

from sim.engine.model import ServiceModel
from sim.engine.patients import State

COLUMNS = ("replication", "referral", "day", "event", "priority", "pathway", "wait_weeks")


class TracedModel(ServiceModel):
    """A ``ServiceModel`` that records one row per step of every referral in ``events``."""

    def __init__(self, config, seed: int, replication: int) -> None:
        self.events: list[tuple] = []
        self.env = None  # set when the run starts; referrals added before that are the snapshot
        super().__init__(config, seed, replication)
        self.priority_names = list(config.demand.priorities)

    def _today(self) -> float:
        return float(math.floor(self.env.now)) if self.env is not None else 0.0

    def _log(self, patient, day: float, event: str) -> None:
        pathway = self.rules.pathway_names[patient.pathway] if patient.pathway >= 0 else ""
        wait = (day - patient.clock_start) / 7 if patient.clock_running else math.nan
        self.events.append((patient.id, day, event, patient.priority, pathway, wait))

    def _census(self, env):
        self.env = env
        yield from super()._census(env)

    def add_patient(self, patient) -> None:
        super().add_patient(patient)
        if self.env is None:
            self._log(patient, 0.0, f"at_start_{patient.state.name.lower()}")
        else:
            self._log(patient, patient.received, "referred")

    def _triage_outcome(self, patient, day: int) -> None:
        super()._triage_outcome(patient, day)
        outcome = "accepted" if patient.state == State.WAITING_FIRST else patient.state.name.lower()
        self._log(patient, day, f"triaged_{outcome}")

    def _attended(self, patient, day: int) -> None:
        first = patient.state == State.WAITING_FIRST
        self._log(patient, day, "attended_first" if first else "attended_followup")
        super()._attended(patient, day)

    def _did_not_attend(self, patient, day: int) -> None:
        first = patient.state == State.WAITING_FIRST
        self._log(patient, day, "dna_first" if first else "dna_followup")
        super()._did_not_attend(patient, day)

    def _discharge(self, patient) -> None:
        super()._discharge(patient)
        self._log(patient, self._today(), "discharged")

    def _remove(self, patient) -> None:
        super()._remove(patient)
        self._log(patient, self._today(), "removed")

    def frame(self) -> pd.DataFrame:
        """The log as a table, one row per event, in the order the events happened."""
        frame = pd.DataFrame.from_records(self.events, columns=list(COLUMNS[1:]))
        frame.insert(0, "replication", self.replication)
        names = dict(enumerate(self.priority_names))
        frame["priority"] = frame["priority"].map(names)
        dates = pd.Timestamp(self.calendar.start) + pd.to_timedelta(frame["day"], unit="D")
        frame["date"] = dates.dt.strftime("%Y-%m-%d")
        return frame
