"""Month-end figures: flows counted during the month and a census of the lists at its end."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Protocol

import numpy as np

from sim.engine.calendar import Calendar
from sim.engine.patients import State
from sim.engine.rules import Rules


@dataclass
class MonthFlows:
    """Counts accumulated during one month."""

    referrals: int = 0
    triaged: int = 0
    accepted: int = 0
    signposted: int = 0
    rejected: int = 0
    first_contacts: int = 0
    clock_stops: int = 0
    clock_stop_wait_days: float = 0.0
    followup_contacts: int = 0
    dnas: int = 0
    removed: int = 0
    discharged: int = 0
    available_minutes: float = 0.0
    used_minutes: float = 0.0
    demand_minutes: float = 0.0
    # Breach flow (why breaches move). Leavers are counted as they leave the breach stock;
    # crossings of those still waiting are counted at the census, independently of the stock.
    breaches_opening: int = 0
    breach_since_day: float = -1.0  # day of the previous census (-1: the snapshot)
    breach_crossed_and_left: int = 0
    breach_seen: int = 0
    breach_removed: int = 0
    breach_other: int = 0


class CensusView(Protocol):
    """What a census reads of a model at a month end: its flows, lists and clocks."""

    flows: MonthFlows
    rules: Rules
    calendar: Calendar
    patients: list
    followup_queue: dict
    open_clocks: dict
    state_count: Any
    target_days: float


BREACH_EXITS = ("seen", "removed", "other")


def note_breach_exit(flows: MonthFlows, clock_start: float, day: int, target_days: float, why: str) -> None:
    """Count a running clock leaving the breach stock on ``day`` (stopped, removed or restarted).

    ``why``: seen (clock stopped at a contact), removed (validation, reneging, DNA removal) or
    other (discharged or turned away with the clock running, clock restarted after a DNA).
    A clock that passed the target since the previous census was a crossing this month too.
    """
    limit = target_days / 7  # in weeks, as the census compares waits
    if (day - clock_start) / 7 <= limit:
        return
    setattr(flows, f"breach_{why}", getattr(flows, f"breach_{why}") + 1)
    if (flows.breach_since_day - clock_start) / 7 <= limit:
        flows.breach_crossed_and_left += 1


def count_breaching(clock_starts: Any, day: float, target_days: float) -> int:
    """Running clocks over the target on ``day`` (the census rule)."""
    starts = np.fromiter(clock_starts, float)
    return int(np.sum((day - starts) / 7 > target_days / 7))


def _followup_backlog(model: CensusView, day: int) -> tuple[int, np.ndarray]:
    """Follow-ups due by ``day`` and not yet seen, and weeks past due of those overdue.

    Due dates are the patients' own (``followup_due``), which a missed appointment leaves
    alone, so a DNA does not make an overdue patient look freshly due.
    """
    due_by, late_weeks = 0, []
    late = day - model.rules.overdue_days
    patients = model.patients
    for queue in model.followup_queue.values():
        for _, pid, version in queue:
            patient = patients[pid]
            if patient.version == version and patient.followup_due <= day:
                due_by += 1
                if patient.followup_due < late:
                    late_weeks.append((day - patient.followup_due) / 7)
    return due_by, np.asarray(late_weeks)


def _centiles(values: np.ndarray) -> tuple[float, float]:
    """Median and 92nd centile (0 if none), in one partition: the same values as two calls."""
    if not values.size:
        return 0.0, 0.0
    p50, p92 = np.percentile(values, [50, 92]).tolist()
    return p50, p92


FLOW_NAMES = tuple(f.name for f in fields(MonthFlows))


def overdue_figures(weeks: np.ndarray) -> dict[str, float]:
    """Count and median, 92nd centile and maximum weeks past due of those overdue (0 if none)."""
    some = weeks.size > 0
    p50, p92 = _centiles(weeks)
    return {
        "followup_overdue": int(weeks.size),
        "followup_overdue_p50_weeks": p50,
        "followup_overdue_p92_weeks": p92,
        "followup_overdue_max_weeks": float(weeks.max()) if some else 0.0,
    }


def census(model: CensusView, month: int, day: int) -> dict:
    """The month's record: the output contract's columns plus the stocks used for conservation."""
    starts = np.fromiter(model.open_clocks.values(), float, len(model.open_clocks))
    due_by, late_weeks = _followup_backlog(model, day)
    return census_record(model.flows, starts, due_by, late_weeks, model.state_count, model, month, day)


def census_record(
    flows: MonthFlows, starts: np.ndarray, due_by: int, late_weeks: np.ndarray, state_count: Any,
    model: CensusView, month: int, day: int,
) -> dict:
    """``census`` from the stocks read off the model: running clocks' starts (in patient order),
    the follow-up backlog, the state counts; ``model`` gives the rules, calendar and target."""
    waits = (day - starts) / 7
    wait_p50, wait_p92 = _centiles(waits)
    limit = model.target_days / 7  # compared in weeks, exactly as `breaches` below
    since = flows.breach_since_day
    still_waiting = int(np.sum(((since - starts) / 7 <= limit) & (waits > limit)))
    stocks = {
        "waiting": int(waits.size),
        "breaches": int(np.sum(waits > model.target_days / 7)),
        "wait_p50_weeks": wait_p50,
        "wait_p92_weeks": wait_p92,
        "max_wait_weeks": float(waits.max()) if waits.size else 0.0,
        "wait_mean_weeks": float(waits.mean()) if waits.size else 0.0,
    }
    record = {name: getattr(flows, name) for name in FLOW_NAMES}  # asdict, less its deep copies
    return assemble_record(record, stocks, still_waiting, due_by, overdue_figures(late_weeks), state_count,
                           model, month)  # fmt: skip


def assemble_record(
    record: dict, stocks: dict, still_waiting: int, due_by: int, overdue: dict, state_count: Any,
    model: CensusView, month: int,
) -> dict:
    """The month's record in the output's column order, from the month's flows (``record``, by
    ``FLOW_NAMES``; changed in place), the waiting-list ``stocks`` and the follow-up backlog.

    The compiled engine computes the stocks in a kernel and assembles the record here too."""
    available = record.pop("available_minutes")
    used = record.pop("used_minutes")
    demand = record.pop("demand_minutes")
    stopped_wait = record.pop("clock_stop_wait_days")
    record.pop("breach_since_day")
    record["breach_crossings"] = record.pop("breach_crossed_and_left") + still_waiting
    stops = record["clock_stops"]
    record.update(
        month=model.calendar.month_labels[month],
        **stocks,
        clock_stop_wait_mean_weeks=stopped_wait / stops / 7 if stops else float("nan"),
        followup_waiting=due_by,
        **overdue,
        awaiting_triage=state_count[State.AWAITING_TRIAGE],
        waiting_first_contact=state_count[State.WAITING_FIRST],
        in_followup=state_count[State.IN_FOLLOWUP],
        clinical_hours=available / 60,
        used_hours=used / 60,
        demand_hours=(demand + record["referrals"] * model.rules.triage_minutes) / 60,
        utilisation=used / available if available > 0 else 0.0,
    )
    return record
