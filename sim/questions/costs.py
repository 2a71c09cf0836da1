"""Staff cost beside effect: what each scenario's staff cost over the run, and what it buys.

A scenario's staff cost is its funded establishment as its file states it, month by month:
the workforce groups between their start and end dates, posts added by ``add_staff`` from
the day they are filled (the event's date plus any recruitment lag) and posts vacated by
``remove_staff``; each WTE at its role's annual pay (``sim.engine.pay_bands``) / 12 x
(1 + on-costs), in proportion to the days of the month it is in post. Turnover vacancies the
simulation draws are not subtracted: a post stays funded (and is often covered by bank or
agency staff) while it is recruited to. Extra sessions (overtime, insourcing) are not costed.

Against the baseline: the extra cost, the cost per breach avoided (extra cost / the mean
paired fall in breaches at the answer month, as ``comparison.csv``'s ``breaches_diff_mean``)
and the cost per extra first contact (extra cost / the mean paired difference in first
contacts summed over the run).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from sim.engine.calendar import add_months
from sim.engine.config import ServiceConfig
from sim.engine.input_files import ConfigError
from sim.engine.pay_bands import PAY_POINT, PAY_SOURCE, Costs, band_of, band_words
from sim.questions.results import Costs as CostResult


def assumptions(config: ServiceConfig) -> Costs:
    """The service's pay assumptions: its ``costs:`` block, or the shipped defaults."""
    return config.costs if config.costs is not None else Costs()


def roles(config: ServiceConfig) -> list[str]:
    """Every role the service funds at some point of the run."""
    named = [g.role for g in config.workforce]
    named += [c.role for e in config.events for c in (e.add_staff, e.remove_staff) if c is not None]
    return list(dict.fromkeys(named))


def role_pay(config: ServiceConfig, source: str = "costs") -> dict[str, float]:
    """Annual pay by role; a ConfigError naming the file when a role has neither band nor pay."""
    costs = assumptions(config)
    try:
        return {role: costs.annual_pay(role) for role in roles(config)}
    except ValueError as error:
        raise ConfigError(f"{source}: {error}") from None


def _days(start: dt.date, end: dt.date) -> pd.DatetimeIndex:
    return pd.date_range(start, end - dt.timedelta(days=1), freq="D")


def wte_by_day(config: ServiceConfig) -> pd.DataFrame:
    """Funded WTE by role (columns) on each day of the run (rows), as the file states it."""
    start = config.service.start_date
    end = add_months(start, config.service.horizon_months)
    days = _days(start, end)
    frame = pd.DataFrame(0.0, index=days, columns=roles(config))
    for group in config.workforce:
        first = pd.Timestamp(group.start or start)
        last = pd.Timestamp(group.end or end)
        frame.loc[(days >= first) & (days <= last), group.role] += group.wte
    for event in config.events:
        if event.add_staff is not None:
            filled = pd.Timestamp(event.date) + pd.Timedelta(days=7 * event.add_staff.recruitment_lag_weeks)
            frame.loc[days >= filled, event.add_staff.role] += event.add_staff.wte
        if event.remove_staff is not None:
            frame.loc[days >= pd.Timestamp(event.date), event.remove_staff.role] -= event.remove_staff.wte
    return frame.clip(lower=0.0)  # more posts vacated than funded leaves none, not a refund


def monthly_cost(config: ServiceConfig, source: str = "costs") -> pd.DataFrame:
    """Per month (YYYY-MM): mean funded WTE by role and the staff cost with on-costs (£)."""
    pay = role_pay(config, source)
    share = assumptions(config).on_cost_share
    daily = wte_by_day(config)
    months = daily.index.strftime("%Y-%m")
    wte = daily.groupby(months).mean()  # a month's WTE-in-post in proportion to its days
    cost = sum(wte[role] * pay[role] / 12 * (1 + share) for role in wte.columns)
    table = wte.add_prefix("wte_")
    table["staff_cost"] = cost if isinstance(cost, pd.Series) else 0.0
    table.index.name = "month"
    return table.reset_index()


def check_costs(configs: dict[str, ServiceConfig], sources: dict[str, str] | None = None) -> None:
    """Fail before a long run when a scenario's staff cannot be costed."""
    for name, config in configs.items():
        role_pay(config, (sources or {}).get(name, name))


def pay_words(config: ServiceConfig, source: str = "costs") -> str:
    """Each role's pay in words, e.g. "Band 6 £46,580 a year (top of band, NHS Employers ...)"."""
    costs = assumptions(config)
    parts = []
    for role, pay in role_pay(config, source).items():
        band = band_of(role)
        name = band_words(band) if band is not None else role
        parts.append(f"{name} £{pay:,.0f} a year" + (" (stated)" if role in costs.pay else ""))
    banded = any(role not in costs.pay for role in roles(config))
    return "; ".join(parts) + (f" ({PAY_POINT}, {PAY_SOURCE})" if banded else "")


def _extra_first_contacts(monthly: pd.DataFrame, baseline: str) -> pd.Series:
    per_rep = monthly.groupby(["scenario", "replication"], sort=False)["first_contacts"].sum()
    base = per_rep.xs(baseline, level="scenario")
    paired = per_rep - base.reindex(per_rep.index.get_level_values("replication")).to_numpy()
    return paired.groupby(level="scenario", sort=False).mean()


def _per(extra: float, gained: float) -> float:
    """Extra cost per unit gained; NaN when nothing is gained (no number is a fair answer)."""
    return extra / gained if gained > 0 and extra > 0 else np.nan


def cost_table(
    configs: dict[str, ServiceConfig], monthly: pd.DataFrame, comparison: pd.DataFrame, month: str
) -> pd.DataFrame:
    """One row per scenario: staff cost over the run, extra cost, cost per breach avoided at
    ``month`` and per extra first contact over the run (the first scenario is the baseline)."""
    names = list(configs)
    baseline = names[0]
    totals = {name: float(monthly_cost(config, name)["staff_cost"].sum()) for name, config in configs.items()}
    at_month = comparison[comparison["month"] == month].set_index("scenario")
    contacts = _extra_first_contacts(monthly, baseline)
    rows = []
    for name, config in configs.items():
        costs = assumptions(config)
        extra = totals[name] - totals[baseline]
        avoided = -float(at_month.loc[name, "breaches_diff_mean"]) + 0.0  # + 0.0: never "-0"
        gained = float(contacts.get(name, 0.0))
        rows.append({
            "scenario": name,
            "month": month,
            "staff_cost": totals[name],
            "extra_cost": extra,
            "breaches_avoided": avoided,
            "cost_per_breach_avoided": _per(extra, avoided) if name != baseline else np.nan,
            "extra_first_contacts": gained,
            "cost_per_extra_first_contact": _per(extra, gained) if name != baseline else np.nan,
            "pay_year": costs.year,
            "on_cost_share": costs.on_cost_share,
            "pay_basis": pay_words(config, name),
            "not_costed": "extra sessions" if any(e.extra_sessions for e in config.events) else "",
        })
    return pd.DataFrame(rows)


def costs_beside_effect(
    configs: dict[str, ServiceConfig], monthly: pd.DataFrame, comparison: pd.DataFrame, month: str
) -> CostResult:
    """What a comparison with ``costs`` carries: the table and the cumulative extra cost by month."""
    return CostResult(cost_table(configs, monthly, comparison, month), extra_cost_by_month(configs))


def extra_cost_by_month(configs: dict[str, ServiceConfig]) -> pd.DataFrame:
    """Cumulative extra staff cost against the baseline to each month end, one column per scenario."""
    names = list(configs)
    series = {
        name: monthly_cost(config, name).set_index("month")["staff_cost"] for name, config in configs.items()
    }
    return pd.DataFrame({name: (series[name] - series[names[0]]).cumsum() for name in names[1:]})
