"""The nearest M/M/c equivalent of a service, as a ciw network, to time a general DES library.

Two M/M/c nodes, one server per whole WTE: first contacts, then follow-ups. Accepted
referrals arrive at the first-contact node as a Poisson stream at the service's mean rate;
after a contact a patient goes on to a follow-up with probability m / (m + 1), where m is
the mean number of follow-ups per episode, so episodes have a geometric number of
follow-ups with the service's mean. Each node's service rate is set so that, while busy,
it delivers the contacts per day that the engine delivers for the same service (measured
from an engine run), so both simulate about the same number of contacts. It has no
calendar, job plans, triage, groups or DNAs: it is a yardstick for speed, not a model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import ciw
import pandas as pd

from sim.engine.config import ServiceConfig


@dataclass(frozen=True)
class MMcNetwork:
    """Rates per day of the two-node M/M/c equivalent."""

    arrivals: float
    servers: int
    first_rate: float
    followup_rate: float
    followup_probability: float
    days: float


def equivalent(config: ServiceConfig, engine_monthly: pd.DataFrame) -> MMcNetwork:
    """The M/M/c network matching a service's demand and the engine's delivered contacts."""
    outcomes = config.triage.outcomes
    shares = {name: outcomes.get(name, 0.0) for name in config.pathways}
    accepted = sum(shares.values())
    mean_followups = sum(shares[n] * p.followups.mean for n, p in config.pathways.items()) / accepted
    days = engine_monthly["month"].nunique() * 365.25 / 12
    servers = max(1, math.floor(sum(group.wte for group in config.workforce)))
    server_days = engine_monthly["replication"].nunique() * days * servers
    return MMcNetwork(
        arrivals=config.demand.monthly_rate * config.demand.multiplier * accepted * 12 / 365.25,
        servers=servers,
        first_rate=engine_monthly["first_contacts"].sum() / server_days,
        followup_rate=engine_monthly["followup_contacts"].sum() / server_days,
        followup_probability=mean_followups / (mean_followups + 1),
        days=days,
    )


def simulate(network: MMcNetwork, seed: int) -> int:
    """Run one replication for the horizon; return the number of contacts completed."""
    stay = network.followup_probability
    model = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(network.arrivals), None],
        service_distributions=[
            ciw.dists.Exponential(network.first_rate),
            ciw.dists.Exponential(network.followup_rate),
        ],
        number_of_servers=[network.servers, network.servers],
        routing=[[0.0, stay], [0.0, stay]],
    )
    ciw.seed(seed)
    simulation = ciw.Simulation(model)
    simulation.simulate_until_max_time(network.days)
    return len(simulation.get_all_records())
