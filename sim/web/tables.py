"""The service's assumptions as readable tables, and the key values the Service form edits.

Tables are read from the validated config (defaults filled in), so they show what the model
uses, not only what the file spelled out.
"""

from __future__ import annotations

import calendar
from typing import Any

import pandas as pd

from sim.engine.config import JobPlan, ServiceConfig
from sim.reports.board import month_heading
from sim.reports.setting_words import choice, name, role_name, setting_name
from sim.web.fields import FieldSpec, field_specs, get_path

KEY_JOB_PLAN_FIELDS = ("non_clinical_share",)
KEY_JOB_PLAN_PREFIXES = ("clinical_time",)  # the clinical time rule, whatever its final shape


def referrals(config: ServiceConfig) -> pd.DataFrame:
    demand = config.demand
    return pd.DataFrame(
        {
            "month": list(calendar.month_abbr)[1:],
            "seasonal multiplier": demand.seasonality,
            "referrals expected": [demand.monthly_rate * demand.multiplier * s for s in demand.seasonality],
        }
    )


def shares(values: dict[str, float], what: str) -> pd.DataFrame:
    return pd.DataFrame({what: [name(k) for k in values], "share": [f"{v:.0%}" for v in values.values()]})


def pathways(config: ServiceConfig) -> pd.DataFrame:
    rows = [
        {
            "pathway": name(key),
            "first contact": name(p.first_contact),
            "follow-up type": name(p.followup) if p.followup else "",
            "follow-ups per episode (mean)": p.followups.mean,
            "how the number varies": choice(p.followups.distribution),
            "weeks between contacts": p.interval_weeks,
        }
        for key, p in config.pathways.items()
    ]
    return pd.DataFrame(rows)


def appointment_types(config: ServiceConfig) -> pd.DataFrame:
    rows = [{"appointment": name(key), **kind.model_dump()} for key, kind in config.appointment_types.items()]
    table = pd.DataFrame(rows)
    if "dna_rate" in table:
        table["dna_rate"] = [f"{v:.0%}" for v in table["dna_rate"]]
    renamed = {"dna_rate": "did not attend", "minutes": "minutes per slot"}
    return table.rename(columns=lambda c: renamed.get(c, name(c).lower() if c != "appointment" else c))


def job_plans(config: ServiceConfig) -> pd.DataFrame:
    """One row per setting, one column per role (flattened, so nested settings show too)."""
    columns = {}
    for role, plan in config.job_plans.items():
        flat = _flatten(plan.model_dump(mode="json"))
        columns[role_name(role)] = {k: _show(v, k) for k, v in flat.items()}
    table = pd.DataFrame(columns)
    table.index.name = "setting"
    return table.reset_index()


def staff(config: ServiceConfig) -> pd.DataFrame:
    rows = [
        {
            "role": role_name(g.role),
            "WTE": g.wte,
            "from": _day(g.start) if g.start else "in post",
            "until": _day(g.end) if g.end else "after the simulated period",
        }
        for g in config.workforce
    ]
    return pd.DataFrame(rows).astype(str)


def starting_list(config: ServiceConfig) -> pd.DataFrame:
    rows = [
        {"weeks waited": f"{b.from_weeks:g} to {b.to_weeks:g}", "patients": b.count}
        for b in config.initial_state.waiting_list
    ]
    return pd.DataFrame(rows, columns=["weeks waited", "patients"])


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value and all(isinstance(k, str) for k in value):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            if isinstance(item, dict) and key != "activity_split":
                flat.update(_flatten(item, f"{prefix}{key}."))
            else:
                flat[f"{prefix}{key}"] = item
        return flat
    return {prefix.rstrip("."): value}


def _day(value: Any) -> str:
    """A start or end date as a planner writes it: 1 Oct 2024."""
    return f"{value.day} {month_heading(str(value)[:7])}"


def _show(value: Any, path: str = "") -> str:
    """A job-plan value in words: splits and shares as percentages, options named."""
    if isinstance(value, dict):
        return ", ".join(
            f"{name(k).lower()} {v:.0%}" if isinstance(v, float) else f"{name(k).lower()} {v}"
            for k, v in value.items()
        )
    if isinstance(value, list):
        return ", ".join(choice(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and path.endswith(("_share", "_rate")):
        return f"{value:.0%}"
    return choice(value) if isinstance(value, str) else str(value)


# --- the key values the form edits ----------------------------------------------------------
def job_plan_specs(key_only: bool = True) -> list[FieldSpec]:
    """Job-plan settings for the form: the key ones (non-clinical share, clinical time rule)."""
    specs = field_specs(JobPlan)
    if not key_only:
        return specs
    return [s for s in specs if s.path in KEY_JOB_PLAN_FIELDS or s.path.startswith(KEY_JOB_PLAN_PREFIXES)]


def key_values(document: dict[str, Any]) -> list[tuple[str, str, FieldSpec]]:
    """(group, dotted path in the document, spec) for each key value the Service form shows."""
    number = FieldSpec
    items: list[tuple[str, str, FieldSpec]] = [
        ("Referrals", "demand.monthly_rate", number("monthly_rate", "number", "Referrals a month", low=0.0)),
    ]
    roles = [g.get("role") for g in document.get("workforce", [])]
    for index, role in enumerate(roles):
        repeat = roles.count(role) > 1
        label = f"{role_name(role)} WTE" + (f" (staff row {index + 1})" if repeat else "")
        items.append(("Staff in post", f"workforce.{index}.wte", number("wte", "number", label, low=0.0)))
    for role in document.get("job_plans", {}):
        for spec in job_plan_specs():
            label = f"{role_name(role)}: {spec.label[:1].lower()}{spec.label[1:]}"
            items.append(("Job plans", f"job_plans.{role}.{spec.path}", _relabel(spec, label)))
    for pathway in document.get("pathways", {}):
        path = f"pathways.{pathway}.followups.mean"
        items.append(("Pathways", path, number("mean", "number", setting_name(path), low=0.0, high=100.0)))
    for kind in document.get("appointment_types", {}):
        path = f"appointment_types.{kind}.dna_rate"
        spec = number("dna_rate", "number", setting_name(path), low=0.0, high=1.0)
        items.append(("Did not attend", path, spec))
    return items


def _relabel(spec: FieldSpec, label: str) -> FieldSpec:
    return FieldSpec(
        spec.path, spec.kind, label, spec.help, spec.choices, spec.low, spec.high, spec.default, spec.optional
    )


def current(document: dict[str, Any], path: str, spec: FieldSpec) -> Any:
    """The value the document gives, or the schema's default."""
    value = get_path(_indexable(document), path)
    return spec.default if value is None else value


def _indexable(document: dict[str, Any]) -> dict[str, Any]:
    """Lists as dicts keyed by position, so ``workforce.1.wte`` reads like a mapping path."""

    def convert(node: Any) -> Any:
        if isinstance(node, list):
            return {str(i): convert(v) for i, v in enumerate(node)}
        if isinstance(node, dict):
            return {k: convert(v) for k, v in node.items()}
        return node

    return convert(document)
