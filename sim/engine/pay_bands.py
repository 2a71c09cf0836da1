"""Staff pay assumptions: Agenda for Change pay by band, on-costs, and a service's own overrides.

The costs a comparison reports (``sim.questions.costs``) rest on these stated figures, so they
live as data with their year and source rather than inside the arithmetic. A role is paid at
its band's figure when its name says the band (``band6`` -> Band 6, ``band8a`` -> Band 8a);
a service's ``costs.pay`` gives a role's annual pay outright, and wins over the band.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field

from sim.engine.strict import Strict

PAY_YEAR = "2025/26"
PAY_SOURCE = "NHS Employers AfC pay scales 2025/26 (England, from 1 April 2025)"
# Top of band: a funded post is usually budgeted at the top pay point, and most staff in the
# therapy bands reach it within a few years; a service that budgets otherwise states its pay.
PAY_POINT = "top of band"
AFC_TOP_OF_BAND: dict[str, float] = {
    "2": 24_465,
    "3": 26_598,
    "4": 30_162,
    "5": 37_796,
    "6": 46_580,
    "7": 54_710,
    "8a": 62_682,
    "8b": 74_896,
    "8c": 88_682,
    "8d": 105_337,
    "9": 125_637,
}
# Employer on-costs as a share of salary: the employer's NHS pension contribution (14.38%,
# what employers pay locally; the rest of the 20.68% is paid centrally) plus employer
# National Insurance (15% above the £5,000 secondary threshold from April 2025: 13.4% of a
# Band 6 top-of-band salary), 27.8%, rounded to 28%.
ON_COST_SHARE = 0.28
ON_COST_BASIS = "employer pension 14.38% + employer National Insurance (15% above £5,000, about 13.4%)"
BAND_NAME = re.compile(r"band[ _-]?([2-9][a-d]?)", re.IGNORECASE)


class Costs(Strict):
    """Pay assumptions for staff costs (used only when costs are asked for, e.g. ``compare --costs``)."""

    year: str = Field(PAY_YEAR, min_length=1, max_length=20, description="Pay year the figures are for.")
    on_cost_share: float = Field(
        ON_COST_SHARE,
        ge=0,
        le=1,
        description="Employer on-costs (pension, National Insurance) as a share of salary; "
        f"default {ON_COST_SHARE:g} ({ON_COST_BASIS}).",
    )
    pay: dict[str, Annotated[float, Field(gt=0, le=1_000_000)]] = Field(
        default_factory=dict,
        description="Annual salary (£, before on-costs) by role, e.g. {band6: 43000}; "
        "default: the Agenda for Change top of band the role's name says (2025/26, England).",
    )

    def annual_pay(self, role: str) -> float:
        """A role's annual salary before on-costs; ValueError with the reason when none is known."""
        if role in self.pay:
            return self.pay[role]
        band = band_of(role)
        if band is None:
            raise ValueError(
                f"costs: role {role!r} has no Agenda for Change band in its name (e.g. band6) and no "
                f"stated pay; give it one, e.g. costs: {{pay: {{{role}: 43000}}}}"
            )
        return AFC_TOP_OF_BAND[band]


def band_of(role: str) -> str | None:
    """The Agenda for Change band a role's name says (``band6`` -> "6"), or None."""
    found = BAND_NAME.fullmatch(role.strip())
    return found.group(1).lower() if found and found.group(1).lower() in AFC_TOP_OF_BAND else None


def band_words(band: str) -> str:
    return f"Band {band}"
