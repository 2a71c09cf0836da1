"""A service from the waits it published: infer its flows, build it, forecast it (issue 22)."""

from calibration.from_waits.forecast import forecast_from_waits, simulate

__all__ = ["forecast_from_waits", "simulate"]
