"""Reading published waiting lists by weeks band (NHS England CHS files, or any band history).

``read_waits(path, provider, service)`` gives one series as a ``BandHistory``;
``list_series(path)`` lists the series a file holds. Data problems are reported in
``BandHistory.problems`` (see ``Problem``), never used silently; unreadable input raises
``WaitsError`` naming the file, row and column.
"""

from calibration.waits.history import BandHistory, Problem, WaitsError
from calibration.waits.reader import list_series, read_waits

__all__ = ["BandHistory", "Problem", "WaitsError", "list_series", "read_waits"]
