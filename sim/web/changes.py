"""Dated changes in plain words: the menu of the Scenarios page and the events they become.

The menu is read from ``sim.engine.config.Event``: every action the schema has appears, with its
fields taken from the schema (``FieldSpec``), so an action added to the engine (for example
a recruitment freeze) shows up without a page change. Known actions get plain-words labels
here; a few menu entries ("open referrals", "demand growth") are ``set`` events on a named
setting, as the example scenario files write them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from sim.engine.config import Event
from sim.web.fields import FieldSpec, action_model, field_specs, label_for

EVENT_META = ("date", "until", "label")
PLAIN_WORDS = {  # action -> (menu label, what the page says about it)
    "add_staff": ("New posts", "Posts added from a date; the post is filled after the recruitment lag."),
    "remove_staff": ("Posts lost", "Posts vacated from a date (leavers not replaced, funding ended)."),
    "recruitment_freeze": ("Recruitment freeze", "No vacancies are filled between the dates."),
    "extra_sessions": (
        "Backlog clinic (extra sessions)",
        "Extra clinical hours a week from a date until a date: overtime, locums, insourcing.",
    ),
    "validate_list": ("Validation exercise", "A one-off exercise removing a share of those waiting."),
    "validation_sweep": (
        "Validation sweep (in rounds)",
        "A clean-up in rounds of a fixed pool of stale referrals: each round finds a share of those "
        "not yet found, so each removes fewer.",
    ),
}
UNTIL_REQUIRED = ("extra_sessions",)
DEFAULTS = {("extra_sessions", "activity"): "new"}  # a backlog clinic sees new patients
SKIP_FIELDS = {"remove_staff": ("recruitment_lag_weeks",)}  # refused there: a vacated post has no lag


@dataclass(frozen=True)
class ChangeKind:
    """One entry of the menu: its label, the event action it writes and the inputs it needs."""

    key: str
    label: str
    explain: str
    action: str
    fields: list[FieldSpec] = field(default_factory=list)
    until: str = "no"  # "no", "optional" or "required"
    setting: str | None = None  # for `set` entries: the dotted setting changed

    def event(
        self, date: dt.date, values: dict[str, Any], until: dt.date | None = None, label: str | None = None
    ) -> dict[str, Any]:
        """The event dict these form values stand for (validated later with the whole scenario)."""
        event: dict[str, Any] = {"date": date}
        if until is not None and self.until != "no":
            event["until"] = until
        if label:
            event["label"] = label
        if self.action == "set":
            setting = self.setting or str(values.get("setting", ""))
            event["set"] = {setting: values.get("value")}
        else:
            block: dict[str, Any] = {}
            for spec in self.fields:
                value = values.get(spec.path)
                if value is not None:
                    _put(block, spec.path, value)
            event[self.action] = block
        return event


def _put(block: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        block = block.setdefault(part, {})
    block[last] = value


def _value_spec(label: str, help: str, low: float | None = None, high: float | None = None) -> FieldSpec:
    return FieldSpec("value", "number", label, help, low=low, high=high)


def menu() -> list[ChangeKind]:
    """Every dated change the engine knows, in plain words, followed by the generic `set`."""
    kinds: list[ChangeKind] = []
    for action, info in Event.model_fields.items():
        if action in EVENT_META:
            continue
        model = action_model(info)
        if model is None:
            continue  # `set` (a map) is offered below in the shapes planners use
        label, explain = PLAIN_WORDS.get(action, (label_for(action), info.description or ""))
        until = (
            "required" if action in UNTIL_REQUIRED else ("optional" if action not in PLAIN_WORDS else "no")
        )
        if action == "recruitment_freeze":
            until = "optional"
        specs = [
            replace(spec, default=DEFAULTS.get((action, spec.path), spec.default))
            for spec in field_specs(model, skip=SKIP_FIELDS.get(action, ()))
        ]
        kinds.append(ChangeKind(action, label, explain, action, specs, until))
    if "set" in Event.model_fields:
        kinds += [
            ChangeKind(
                "open_referrals",
                "Open referrals (more referrals from a date)",
                "Referral volume multiplied from a date, e.g. 1.3 when parents and schools may refer.",
                "set",
                [_value_spec("Referral volume multiplier", "1.3 = 30% more referrals", 0.0)],
                setting="demand.multiplier",
            ),
            ChangeKind(
                "demand_growth",
                "Demand growth",
                "Referrals grow by this percentage a year from the date.",
                "set",
                [
                    FieldSpec(
                        "value", "percent", "Growth per year", "10 = 10% more a year", low=-0.99, high=5.0
                    )
                ],
                setting="demand.annual_trend",
            ),
            ChangeKind(
                "set",
                "Change any setting from a date",
                "For analysts: a setting named as in the service file takes a new value from the date.",
                "set",
                [
                    FieldSpec(
                        "setting",
                        "text",
                        "Setting, as the service file names it",
                        "e.g. job_plans.band6.non_clinical_share (the service file is on the Service page)",
                    ),
                    _value_spec("New value", "a number"),
                ],
            ),
        ]
    return kinds


def kind(key: str) -> ChangeKind:
    for entry in menu():
        if entry.key == key:
            return entry
    raise KeyError(key)
