"""``dcsim backtest`` on a published waiting list: rolling origins, every method, scored (issue 23)."""

from calibration.waits_backtest.run import WaitsBacktest, backtest_waits

__all__ = ["WaitsBacktest", "backtest_waits"]
