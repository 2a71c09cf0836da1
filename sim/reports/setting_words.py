"""Settings and the names in a service file written for planners, the same in the report and the app.

A service file names things in code (``band6``, ``health_visitor``, ``caseload_first``) and its
settings by dotted paths (``job_plans.band6.non_clinical_share``); a board paper reads
"Band 6", "Health visitor", "follow-ups due first" and "Band 6: time not with patients".
"""

from __future__ import annotations

import re
from typing import Any

WORDS = {  # codes that do not read right with their underscores spaced
    "gp": "GP",
    "followup": "follow-up",
    "followups": "follow-ups",
    "dna": "did not attend",
    "wte": "WTE",
    "rtt": "referral to treatment",
    "cyp": "children and young people",
    "ot": "OT",
    "slt": "SLT",
    "ahp": "AHP",
}
CHOICES = {  # the schema's fixed options, in words
    "caseload_first": "Follow-ups due first, then new patients",
    "template": "A fixed template",
    "new": "New patients",
    "followup": "Follow-ups",
    "group": "Group sessions",
    "triage": "Triage",
    "skip": "Skipped (no session that day)",
    "move_to_next_working_day": "Moved to the next working day",
    "rebook": "Rebook",
    "reset_clock": "Rebook and restart the waiting-time clock",
    "priority_then_longest_wait": "Priority, then longest wait",
    "longest_wait": "Longest wait first",
    "by_weeks_waited": "By weeks waited",
    "uniform": "Evenly spread",
    "sloped": "More near the start of each band",
    "staggered": "Staggered through the year",
    "random_weeks": "Random weeks",
    "fixed": "Fixed number",
    "poisson": "Poisson (random around the mean)",
    "negbin": "Negative binomial (more spread than Poisson)",
    "geometric": "Geometric (many short, a few long)",
    "england": "England",
    "wales": "Wales",
    "scotland": "Scotland",
    "northern_ireland": "Northern Ireland",
}
SETTINGS = {  # whole dotted paths with a plain name of their own
    "demand.monthly_rate": "referrals a month",
    "demand.multiplier": "referral volume multiplier",
    "demand.annual_trend": "referral growth a year",
    "access_policy.validation_removal_rate": "share of the list removed by validation each month",
    "access_policy.reneging_rate": "share of the list leaving each month without being seen",
}
ENDINGS = {  # the last part(s) of a path under a named role, pathway or appointment type
    "non_clinical_share": "time not with patients",
    "followups.mean": "follow-ups per episode",
    "dna_rate": "did-not-attend rate",
    "wte": "WTE",
    "clinical_time.rule": "how clinical time is shared",
    "clinical_time.max_followup_share": "most clinical time for follow-ups",
    "clinical_time.min_new_share": "clinical time kept for new patients",
    "hours_per_wte": "hours a week per WTE",
    "sickness_rate": "sickness absence",
    "turnover_rate": "staff turnover a year",
}
NAMED = ("job_plans", "pathways", "appointment_types", "workforce")
PERCENT_NAMES = ("_share", "_rate", "annual_trend")
PERCENT_EXCEPTIONS = ("demand.monthly_rate", "turnover_rate")


def role_name(role: str) -> str:
    """``band6`` -> ``Band 6``; other roles in words (``ot_assistant`` -> ``OT assistant``)."""
    found = re.fullmatch(r"band_?(\d+[a-z]?)(?:_(.+))?", role)
    if found:
        rest = f" {words(found.group(2))}" if found.group(2) else ""
        return f"Band {found.group(1)}{rest}"
    return name(role)


def words(code: str) -> str:
    """An identifier's words: ``health_visitor`` -> ``health visitor``, ``gp`` -> ``GP``."""
    return " ".join(WORDS.get(part.lower(), part) for part in str(code).split("_") if part)


def name(code: str) -> str:
    """A name from a service file, capitalised: ``targeted_group`` -> ``Targeted group``."""
    if re.fullmatch(r"band_?\d+[a-z]?(?:_.+)?", str(code)):
        return role_name(str(code))
    text = words(code)
    return text[:1].upper() + text[1:]


def choice(value: Any) -> str:
    """A fixed option of the schema in words (anything else as it is)."""
    if isinstance(value, str):
        return CHOICES.get(value, name(value))
    return str(value)


def setting_name(path: str) -> str:
    """A dotted setting in words: ``job_plans.band6.non_clinical_share`` -> ``Band 6: time not
    with patients``; ``demand.multiplier`` -> ``Referral volume multiplier``."""
    if path in SETTINGS:
        text = SETTINGS[path]
        return text[:1].upper() + text[1:]
    parts = path.split(".")
    if len(parts) >= 2 and parts[0] == "events" and parts[1].isdigit():
        rest = ".".join(parts[2:])
        if rest.startswith("set."):  # a setting an analyst named: the name they typed is the clue
            return f"Change {int(parts[1]) + 1} (the setting {rest[4:]})"
        return f"Change {int(parts[1]) + 1}" + (f": {setting_name(rest)}" if rest else "")
    if len(parts) >= 3 and parts[0] in NAMED:
        owner = role_name(parts[1]) if parts[0] == "job_plans" else name(parts[1])
        if parts[0] == "workforce" and parts[1].isdigit():
            owner = f"Staff row {int(parts[1]) + 1}"
        rest = ".".join(parts[2:])
        return f"{owner}: {ENDINGS.get(rest, ', '.join(words(p) for p in parts[2:]))}"
    text = ", ".join(words(p) for p in parts)
    return text[:1].upper() + text[1:]


def is_percent(path: str) -> bool:
    """Whether a setting is a share, written as a percentage (0.08 -> 8%)."""
    last = path.split(".")[-1]
    if path in PERCENT_EXCEPTIONS or last in PERCENT_EXCEPTIONS:
        return False
    return any(last.endswith(ending) for ending in PERCENT_NAMES)


def setting_value(path: str, value: Any) -> str:
    """A setting's value as a planner reads it: shares as percentages, options in words."""
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return f"{round(value * 100, 1):g}%" if is_percent(path) else f"{value:g}"
    return choice(value)


DOTTED = re.compile(r"\b[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+\b")
FILE_ENDINGS = (".yaml", ".yml", ".csv", ".json", ".html", ".xlsx", ".gz", ".txt", ".py")


def plain_paths(text: str) -> str:
    """Dotted settings inside a sentence replaced by their names (file names left as they are)."""

    def replace(match: re.Match[str]) -> str:
        found = match.group(0)
        return found if found.endswith(FILE_ENDINGS) else setting_name(found)

    return DOTTED.sub(replace, text)
