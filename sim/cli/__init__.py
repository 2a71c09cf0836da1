"""The ``dcsim`` command line. Each module registers one group of subcommands on ``app``.

Bad input (a YAML field, a data row) is reported as ``file: field: message`` on standard
error with exit code 2 and no traceback.
"""

from sim.cli import explorer, fitting, runs, scenarios, track, waits  # noqa: F401  (importing registers the commands)
from sim.cli.common import app

__all__ = ["app", "main"]


def main() -> None:  # pragma: no cover - console entry
    app()
