"""The simulated calendar: day numbers, working days and month ends.

Day 0 is the service start date. Clinics run on weekdays that are not bank holidays of
the chosen UK nation (from the ``holidays`` package).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

import holidays
import numpy as np

from sim.engine.config import Service
from sim.engine.field_types import WEEKDAYS

if TYPE_CHECKING:
    import pandas as pd

NATION_SUBDIVISION = {
    "england": "ENG",
    "wales": "WLS",
    "scotland": "SCT",
    "northern_ireland": "NIR",
}


def add_months(day: dt.date, months: int) -> dt.date:
    """The first of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Calendar:
    """Days from ``start`` for ``months`` whole calendar months (a partial first month counts)."""

    start: dt.date
    months: int
    nation: str = "wales"
    clinic_days: tuple[int, ...] = (0, 1, 2, 3, 4)
    bank_holidays_close: bool = True

    @cached_property
    def end(self) -> dt.date:
        """The day after the last simulated day (first of the month after the horizon)."""
        return add_months(self.start, self.months)

    @cached_property
    def n_days(self) -> int:
        return (self.end - self.start).days

    @cached_property
    def dates(self) -> pd.DatetimeIndex:
        import pandas as pd  # here, not at import: validating a file needs no pandas

        return pd.date_range(self.start, periods=self.n_days, freq="D")

    @cached_property
    def _days(self) -> np.ndarray:
        """Each simulated day as a numpy date (the arrays below need no pandas)."""
        return np.datetime64(self.start, "D") + np.arange(self.n_days)

    @cached_property
    def _months(self) -> np.ndarray:
        """Months since January 1970 of each day."""
        return self._days.astype("datetime64[M]").astype(np.int64)

    @cached_property
    def day_of_week(self) -> np.ndarray:
        """Weekday of each day, Monday = 0 (1 January 1970 was a Thursday)."""
        return ((self._days.astype(np.int64) + 3) % 7).astype(np.int32)

    @cached_property
    def bank_holidays(self) -> set[dt.date]:
        years = range(self.start.year, self.end.year + 1)
        calendar = holidays.country_holidays("GB", subdiv=NATION_SUBDIVISION[self.nation], years=years)
        return set(calendar.keys())

    @cached_property
    def working(self) -> np.ndarray:
        """Boolean per day: clinics open (a clinic day, and not a bank holiday if those close)."""
        open_day = np.isin(self.day_of_week, self.clinic_days)
        if not self.bank_holidays_close:
            return open_day
        closed = np.isin(self._days, np.array(sorted(self.bank_holidays), dtype="datetime64[D]"))
        return open_day & ~closed

    @cached_property
    def month_of_year(self) -> np.ndarray:
        """Calendar month (1-12) of each day."""
        return (self._months % 12 + 1).astype(np.int32)

    @cached_property
    def month_index(self) -> np.ndarray:
        """Simulated month (0 = first) of each day."""
        first = (self.start.year - 1970) * 12 + self.start.month - 1
        return (self._months - first).astype(np.int32)

    @cached_property
    def month_ends(self) -> list[int]:
        """Day number of the last day of each simulated month."""
        return [self.day(add_months(self.start, m + 1)) - 1 for m in range(self.months)]

    @cached_property
    def month_labels(self) -> list[str]:
        return [add_months(self.start, m).strftime("%Y-%m") for m in range(self.months)]

    @cached_property
    def days_in_month(self) -> np.ndarray:
        """Calendar days in the month of each day (for spreading a monthly rate)."""
        month = self._days.astype("datetime64[M]")
        length = (month + 1).astype("datetime64[D]") - month.astype("datetime64[D]")
        return length.astype(np.int32)

    def day(self, date: dt.date) -> int:
        """Day number of a date (may be negative or beyond the horizon)."""
        return (date - self.start).days


@lru_cache(maxsize=32)
def _cached_calendar(start, months, nation, clinic_days, bank_holidays_close) -> Calendar:
    return Calendar(start, months, nation, clinic_days, bank_holidays_close)


def calendar_for(service: Service) -> Calendar:
    """The calendar of a service, shared within a process so bank holidays are looked up once."""
    days = tuple(sorted(WEEKDAYS.index(d) for d in service.clinic_days))
    return _cached_calendar(
        service.start_date, service.horizon_months, service.nation, days, service.bank_holidays
    )
