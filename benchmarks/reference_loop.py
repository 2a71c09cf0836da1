"""The engine's slot-per-day waiting-list logic as one plain loop: the speed limit in Python.

No SimPy, no objects per patient: patient attributes live in parallel lists and every step
is inlined in one function over days. It starts from the same inputs as the engine (the
capacity, arrivals and starting snapshot a ``ServiceModel`` draws when it is built) and
spends random numbers in the same order, so on a service without dated events it gives
the engine's monthly figures exactly: the benchmark checks that before timing it.

Logic, as in ``sim.engine.model``: referrals wait a triage delay, are triaged by priority then
receipt with triage minutes, then wait for a first contact by priority then longest wait;
each working day's minutes per activity are spent slot by slot (follow-ups due first),
unspent minutes carry over while anyone waits or else flex to other activities the role
may deliver (roles under ``caseload_first`` pool new + follow-up time, follow-ups first);
attendance, DNA rebooking (keeping the follow-up's due date) and discharge after repeated
DNAs; a random number of follow-ups at fixed intervals; month-end removals and census.
"""

from __future__ import annotations

import bisect
import heapq

import numpy as np

from sim.engine.census import overdue_figures
from sim.engine.model import FLEX_ORDER, ServiceModel
from sim.engine.patients import State
from sim.engine.shared_time import FOLLOWUP as FOLLOWUP_TIME
from sim.engine.shared_time import GROUP, NEW, TRIAGE, followup_allowance
from sim.engine.streams import UniformBlock, stream

AWAITING, WAITING, FOLLOWUP, DISCHARGED, REMOVED, REJECTED, SIGNPOSTED = (int(s) for s in State)


def simulate(model: ServiceModel) -> list[dict]:
    """Run the horizon of a freshly built model's inputs; one record per month."""
    if len(model.phases) != 1 or model.config.events or model.config.triage.source_outcomes:
        raise ValueError("the reference loop covers services without dated events or per-source triage")
    rules, calendar = model.rules, model.calendar
    attendance = UniformBlock(stream(model.seed, model.replication, "attendance"))
    removals = stream(model.seed, model.replication, "removals")
    # Patients as parallel lists, indexed by sequence number.
    people = model.patients
    state = [int(p.state) for p in people]
    version = [p.version for p in people]
    priority = [p.priority for p in people]
    received = [p.received for p in people]
    clock = [p.clock_start for p in people]
    pathway = [p.pathway for p in people]
    triage_u = [p.triage_draw for p in people]
    followup_u = [p.followup_draw for p in people]
    contacts = [p.contacts for p in people]
    dnas = [p.dnas for p in people]
    left_fu = [p.followups_left for p in people]
    due_of = [p.followup_due for p in people]
    open_clocks = dict(model.open_clocks)
    waiting_first = set(model.waiting_first)
    count = list(model.state_count)
    pending = list(model.pending)
    triage_queue = list(model.triage_queue)
    first_q = {k: list(v) for k, v in model.first_queue.items()}
    followup_q = {k: list(v) for k, v in model.followup_queue.items()}
    rebook: list[int] = []
    carry = [0.0] * len(model.carry)

    by_priority = rules.order_by_priority
    first_type, followup_type = rules.first_type, rules.followup_type
    type_minutes, type_dna, type_group = rules.type_minutes, rules.type_dna, rules.type_group
    activity_types, interval, cdfs = rules.activity_types, rules.interval_days, rules.followup_cdf
    stop_at, reset_on_dna, dna_limit = rules.clock_stop_contact, rules.dna_reset, rules.dna_discharge_after
    triage_delay, triage_cost = rules.triage_delay, rules.triage_minutes
    outcome_cdf, outcome_names = rules.outcome_cdf, rules.outcome_names
    pathway_index = {name: i for i, name in enumerate(rules.pathway_names)}
    scope = model.scope
    f = dict.fromkeys(
        (
            "referrals triaged accepted signposted rejected first_contacts clock_stops followup_contacts "
            "dnas removed discharged available used demand"
        ).split(),
        0,
    )

    def move(pid: int, new: int) -> None:
        count[state[pid]] -= 1
        count[new] += 1
        if state[pid] == WAITING:
            waiting_first.discard(pid)
        if new == WAITING:
            waiting_first.add(pid)
        state[pid] = new
        version[pid] += 1

    def end(pid: int, new: int, flow: str) -> None:
        if pid in open_clocks:
            del open_clocks[pid]
        move(pid, new)
        f[flow] += 1

    def queue_first(pid: int) -> None:
        rank = priority[pid] if by_priority else 0
        heapq.heappush(first_q[first_type[pathway[pid]]], (rank, clock[pid], pid, version[pid]))

    def serve(activity: int, day: int, budget: float) -> tuple[float, bool]:
        if activity == 0:  # triage
            while pending and pending[0][0] <= day:
                pid = heapq.heappop(pending)[1]
                heapq.heappush(triage_queue, (priority[pid], received[pid], pid))
            while triage_queue and budget >= triage_cost:
                pid = heapq.heappop(triage_queue)[2]
                budget -= triage_cost
                f["used"] += triage_cost
                f["triaged"] += 1
                u, outcome = triage_u[pid], outcome_names[-1]
                for name, edge in zip(outcome_names, outcome_cdf, strict=True):
                    if u < edge:
                        outcome = name
                        break
                if outcome == "reject" or outcome == "signpost":
                    end(
                        pid,
                        REJECTED if outcome == "reject" else SIGNPOSTED,
                        "rejected" if outcome == "reject" else "signposted",
                    )
                    continue
                pathway[pid] = pathway_index[outcome]
                f["accepted"] += 1
                f["demand"] += rules.episode_minutes[pathway[pid]]
                move(pid, WAITING)
                queue_first(pid)
            return budget, bool(triage_queue)
        waiting = False
        for kind in activity_types[activity]:
            cost, firsts, follows = type_minutes[kind], first_q[kind], followup_q[kind]
            while budget >= cost:
                seen = 0
                for _ in range(type_group[kind]):
                    pid = -1
                    while follows and follows[0][0] <= day:
                        _, candidate, stamp = heapq.heappop(follows)
                        if version[candidate] == stamp:
                            pid = candidate
                            break
                    if pid < 0:
                        while firsts:
                            _, _, candidate, stamp = heapq.heappop(firsts)
                            if version[candidate] == stamp:
                                pid = candidate
                                break
                    if pid < 0:
                        break
                    seen += 1
                    if attendance() < type_dna[kind]:
                        f["dnas"] += 1
                        dnas[pid] += 1
                        if dnas[pid] >= dna_limit:
                            if state[pid] == WAITING:
                                end(pid, REMOVED, "removed")
                            else:
                                end(pid, DISCHARGED, "discharged")
                            continue
                        version[pid] += 1
                        if state[pid] == WAITING:
                            if reset_on_dna and pid in open_clocks:
                                clock[pid] = open_clocks[pid] = day
                            rebook.append(pid)
                        else:  # rebooked for tomorrow, still due when it was due
                            entry = (day + 1, pid, version[pid])
                            heapq.heappush(followup_q[followup_type[pathway[pid]]], entry)
                        continue
                    contacts[pid] += 1
                    if pid in open_clocks and contacts[pid] >= stop_at:
                        del open_clocks[pid]
                        f["clock_stops"] += 1
                    if state[pid] == WAITING:
                        f["first_contacts"] += 1
                        left_fu[pid] = bisect.bisect_right(cdfs[pathway[pid]], followup_u[pid])
                        move(pid, FOLLOWUP)
                    else:
                        f["followup_contacts"] += 1
                        left_fu[pid] -= 1
                        version[pid] += 1
                    if left_fu[pid] <= 0:
                        end(pid, DISCHARGED, "discharged")
                    else:
                        due_of[pid] = day + interval[pathway[pid]]
                        entry = (due_of[pid], pid, version[pid])
                        heapq.heappush(followup_q[followup_type[pathway[pid]]], entry)
                if not seen:
                    break
                budget -= cost
                f["used"] += cost
            if not waiting:
                while firsts and version[firsts[0][2]] != firsts[0][3]:
                    heapq.heappop(firsts)
                while follows and version[follows[0][1]] != follows[0][2]:
                    heapq.heappop(follows)
                waiting = bool(firsts) or bool(follows and follows[0][0] <= day)
        return budget, waiting

    arrivals = model.arrivals
    arrival_days = arrivals.day.tolist()
    arrival_priority = arrivals.priority.tolist()
    next_arrival = 0
    working = calendar.working.tolist()
    month_ends = {day: month for month, day in enumerate(calendar.month_ends)}
    records = []
    for day in range(calendar.n_days):
        while next_arrival < len(arrival_days) and arrival_days[next_arrival] == day:
            pid = len(state)
            state.append(AWAITING)
            version.append(0)
            priority.append(arrival_priority[next_arrival])
            received.append(float(day))
            clock.append(float(day))
            pathway.append(-1)
            triage_u.append(model.triage_draws[next_arrival])
            followup_u.append(model.followup_draws[next_arrival])
            contacts.append(0)
            dnas.append(0)
            left_fu.append(0)
            due_of.append(float("nan"))
            count[AWAITING] += 1
            open_clocks[pid] = float(day)
            heapq.heappush(pending, (day + triage_delay[arrival_priority[next_arrival]], pid))
            f["referrals"] += 1
            next_arrival += 1
        if working[day]:
            for pid in rebook:
                if state[pid] == WAITING:
                    queue_first(pid)
            rebook = []
            by_role, planned = model.minutes_by_role[day], model.planned[day]
            f["available"] += sum(planned)
            free = [0.0] * len(by_role)
            if rules.shared_roles:
                allowance = [row[FOLLOWUP_TIME] for row in by_role]
                new_time = [row[NEW] for row in by_role]
                for role, most, least in rules.shared_roles:
                    allowance[role] = followup_allowance(by_role[role], most, least)
                    new_time[role] = by_role[role][NEW] + by_role[role][FOLLOWUP_TIME] - allowance[role]
                order = [
                    (TRIAGE, [row[TRIAGE] for row in by_role]),
                    (FOLLOWUP_TIME, allowance),
                    (NEW, new_time),
                    (GROUP, [row[GROUP] for row in by_role]),
                ]
                pooled = {role for role, _, _ in rules.shared_roles}
            else:
                order = [(a, [row[a] for row in by_role]) for a in range(len(planned))]
                pooled = set()
            for activity, time in order:
                budget = sum(time)
                left, waiting = serve(activity, day, budget + carry[activity])
                carry[activity] = left if waiting else 0.0
                if not waiting and left > 0 and budget > 0:
                    share = min(left, budget) / budget
                    for role, minutes in enumerate(time):
                        if activity == FOLLOWUP_TIME and role in pooled:
                            new_time[role] += minutes * share
                        else:
                            free[role] += minutes * share
            if any(free):
                for activity in FLEX_ORDER:
                    allowed = [role for role, row in enumerate(scope) if row[activity] and free[role] > 0]
                    budget = sum(free[role] for role in allowed)
                    if budget > 0:
                        left, _ = serve(activity, day, budget)
                        for role in allowed:
                            free[role] *= left / budget
        if day in month_ends:
            share = rules.monthly_removal
            if share > 0 and waiting_first:
                listed = sorted(waiting_first)
                for pid in removals.choice(listed, size=removals.binomial(len(listed), share), replace=False):
                    end(int(pid), REMOVED, "removed")
            stocks = (open_clocks, followup_q, version, due_of, count)
            records.append(_census(f, day, month_ends[day], *stocks, model))
            f = dict.fromkeys(f, 0)
    return records


def _census(f, day, month, open_clocks, followup_q, version, due_of, count, model) -> dict:
    rules = model.rules
    waits = (day - np.fromiter(open_clocks.values(), float, len(open_clocks))) / 7
    entries = (entry for queue in followup_q.values() for entry in queue)
    due = [due_of[pid] for _, pid, stamp in entries if version[pid] == stamp and due_of[pid] <= day]
    late = day - rules.overdue_days
    available, used = f["available"], f["used"]
    return {
        **{k: f[k] for k in f if k not in ("available", "used", "demand")},
        "month": model.calendar.month_labels[month],
        "waiting": int(waits.size),
        "breaches": int(np.sum(waits > model.target_days / 7)),
        "wait_p50_weeks": float(np.percentile(waits, 50)) if waits.size else 0.0,
        "wait_p92_weeks": float(np.percentile(waits, 92)) if waits.size else 0.0,
        "max_wait_weeks": float(waits.max()) if waits.size else 0.0,
        "followup_waiting": len(due),
        **overdue_figures(np.array([(day - d) / 7 for d in due if d < late])),
        "awaiting_triage": count[AWAITING],
        "waiting_first_contact": count[WAITING],
        "in_followup": count[FOLLOWUP],
        "clinical_hours": available / 60,
        "used_hours": used / 60,
        "demand_hours": (f["demand"] + f["referrals"] * rules.triage_minutes) / 60,
        "utilisation": used / available if available > 0 else 0.0,
    }


def run(config, seed: int, replication: int) -> list[dict]:
    """Build the engine's inputs for one replication and run the plain loop on them."""
    return simulate(ServiceModel(config, seed, replication))
