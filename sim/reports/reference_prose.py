"""The YAML reference's fixed sections: how to read it, scenario files, limits, dated sets.

Kept apart from ``sim.reports.reference`` (which reads every field from the schema) because
they are prose; the numbers in them still come from the constants that enforce them.
"""

from __future__ import annotations

from sim.engine import input_files
from sim.engine.scenario import EXTENDS_ROOT_VARIABLE, MAX_EXTENDS
from sim.engine.size_limits import MAX_ENTRIES, MAX_HORIZON_MONTHS, MAX_MONTHLY_RATE, MAX_PATIENTS
from sim.engine.sweep import MAX_SWEEP_VALUES
from sim.engine.timeline import FIXED_KEYS, FROZEN_REASONS, FROZEN_SECTIONS
from sim.runs.limits import MAX_CANDIDATES, MAX_REPS, MAX_WORKERS

COMMAND = "python -m sim.reports.reference docs/yaml-reference.md"

HEADER = f"""# YAML reference

<!-- Generated from sim/engine/config.py by `{COMMAND}`. Do not edit by hand:
     tests/test_docs.py fails when this file and the schema disagree. -->

Every key a service or scenario file may contain, generated from the schema that
`dcsim validate` checks. An unknown key, a value of the wrong type or a value outside the
allowed range is an error reported as `file: path.to.field: message`.

How to read the tables:

- **Field** is the dotted path of the key. `<pathway>`, `<role>`, `<priority>`... stand for
  names you choose (map keys); `<n>` is a position in a list, counted from 0 (error messages
  and `sweep:` use the same numbering).
- **Type**: *number* (decimals allowed), *whole number*, *text*, *true/false*, a *date*
  written `YYYY-MM-DD`, a *list* (`[a, b]` or one `- item` per line), a *map*
  (`{{a: 1, b: 2}}` or one `key: value` per line), or a *section* (a map with the fields
  listed in its own table).
- **Unit** of the number; a *share* is a proportion from 0 to 1 (0.05 = 5%).
- **Default** is used when the key is left out; **required** keys have none.
- **Allowed** lists the range (≥, >, ≤, <) or the choices. Shares that must add up
  (sources, priorities, triage outcomes, activity split) must sum to 1.
"""


SCENARIO_KEYS = """## `extends:` — scenario files

A scenario file names the file it changes and gives only what is different:

```yaml
extends: baseline.yaml          # relative to this file; a chain of files is allowed
workforce:                      # lists replace the baseline's list
  - {role: band6, wte: 5.8}
events:                         # events are appended to the baseline's events
  - {date: 2024-10-01, add_staff: {role: band6, wte: 3}, label: Three Band 6 posts}
```

Maps merge key by key (so `demand: {multiplier: 1.3}` keeps every other demand field);
numbers, text and lists replace the baseline's value, except `events`, which are added
after the baseline's events. Events are numbered across the chain, baseline first, in
error messages and in `sweep:` paths.

## `sweep:` — one scenario per value

```yaml
extends: baseline.yaml
sweep: {field: workforce.1.wte, values: [4.8, 5.8, 6.8]}
```

A file with `sweep:` stands for one scenario per value, named `<file stem>[<field>=<value>]`,
run together by `dcsim compare`. `field` is a dotted path as in the tables below, with list
positions for lists (`workforce.1.wte`, `events.0.add_staff.wte`); `values` is a non-empty list
without repeats. Setting the `wte` of an `add_staff`/`remove_staff` event or the
`hours_per_week` of an `extra_sessions` event, or the `stale_share` of a `validation_sweep`
event, to 0 turns that event off. `dcsim run` and
`sim.engine.scenario.load_config` refuse a file with `sweep:` (it is several scenarios).
"""


EVENT_EXAMPLES = """\
events:
  - {date: 2024-10-01, label: Three Band 6 posts, add_staff: {role: band6, wte: 3, recruitment_lag_weeks: 12}}
  - {date: 2025-01-01, label: Band 7 leaves, remove_staff: {role: band7, wte: 1}}
  - date: 2024-09-01
    until: 2025-02-28
    label: Backlog clinic (insourced)
    extra_sessions: {activity: new, hours_per_week: 15, on_bank_holiday: move_to_next_working_day}
  - {date: 2024-06-01, label: Open referrals, set: {demand.multiplier: 1.3}}
  - {date: 2024-07-01, label: Waiting list validation, validate_list: {share: 0.1}}
  - date: 2024-10-01
    label: Validation sweep (three letters)
    validation_sweep: {stale_share: 0.15, find_share: 0.6, rounds: 3, every_weeks: 4, min_weeks_waited: 12}
  - {date: 2025-04-01, until: 2025-09-30, label: Recruitment freeze, recruitment_freeze: {roles: [band6]}}
"""


def set_note() -> str:
    frozen = "".join(f"- `{s}`: {FROZEN_REASONS[s]}.\n" for s in FROZEN_SECTIONS)
    fixed = "".join(f"- `{k}`: {why}.\n" for k, why in FIXED_KEYS.items())
    return (
        "### Dated `set` events\n\n"
        "`set: {<dotted.path>: value, ...}` changes fields from the event's date to the end of the\n"
        "horizon (or until a later `set` changes them again), e.g.\n"
        "`{date: 2025-01-01, set: {demand.multiplier: 1.3, job_plans.band6.sickness_rate: 0.07}}`.\n"
        "Any field in the tables above can be set and takes effect from the date. Workforce\n"
        "dynamics apply to posts vacated or filled after it: the turnover rate from the date, the\n"
        "recruitment lag in force when a post is vacated, the ramp-up in force when a starter\n"
        "starts. A map value merges into the existing map. The changed service is validated\n"
        "again, so an impossible value is reported against the event (`events.<n>.set.<path>: ...`).\n\n"
        f"Refused, with the reason:\n\n{frozen}\n"
        f"Values may change but keys may not be added or removed in:\n\n{fixed}"
    )


def limits() -> str:
    """What a file may hold and what can be simulated: beyond these, input is refused with the reason."""
    # solve's grid and sensitivity's --vary bounds are written out (reports may not import
    # sim.questions.solve or .sensitivity); tests/test_hostile_input.py checks they still match.
    return f"""## Limits

Files are checked before anything is simulated; anything beyond these limits is refused with
`file: field: message` (or `file: line N: message`), exit code 2, and nothing is written.

- **Files**: a scenario file is UTF-8 text (a byte-order mark is fine) of at most
  {input_files.MAX_YAML_BYTES:,} bytes; binary, Latin-1 or UTF-16 files, folders and devices are refused.
  Values nest at most {input_files.MAX_YAML_DEPTH} deep, and YAML aliases (`&name`/`*name`) may expand
  to at most {input_files.MAX_YAML_NODES:,} values. A key given twice in one mapping is an error naming
  both lines (YAML would otherwise keep the last one silently). Dates must exist (`2024-02-30` is an
  error against its field).
- **`extends:`** chains are at most {MAX_EXTENDS} files long and may not loop. The file named must lie
  inside the folder of the file you run (or validate) or inside the current working folder, so that
  a scenario file handed to you cannot read other files on the machine. To allow other folders, set
  the environment variable `{EXTENDS_ROOT_VARIABLE}` to them (separated by `:`, or `;` on Windows).
- **Numbers** are finite (`.inf` and `.nan` are refused everywhere, including `set` events and
  sweeps); `true`/`false` is not accepted where a number belongs.
- **Size of a service**: at most {MAX_PATIENTS:,} referrals and patients in one replication (the
  starting snapshot plus the referrals expected over the horizon, after seasonality, trend and
  multipliers); `demand.monthly_rate` at most {MAX_MONTHLY_RATE:,}; at most {MAX_ENTRIES:,} staff
  groups, waiting-list bands and events; a sweep of at most {MAX_SWEEP_VALUES} values. The horizon
  must end by the year 9999.
- **Consistency**: waiting-list bands may not overlap or repeat (they may touch: 0-4 and 4-8);
  events dated after the horizon are refused (they would change nothing); actuals none of whose
  months are simulated are refused.
- **Command options**: `--reps` at most {MAX_REPS:,} (every replication is held in memory until
  summarised), `--workers` at most {MAX_WORKERS}, `--candidates` at most {MAX_CANDIDATES:,},
  `--seed` from 0 to 2^63 - 1; `dcsim solve` needs finite `--low`, `--high` and `--step` making at
  most 10,000 grid values, and `--confidence` above 0 and at most 1; `dcsim sensitivity` takes
  at most 50 `--vary` fields (each runs the scenario twice more); `dcsim compare --every` at
  most {MAX_HORIZON_MONTHS}. The same bounds hold in the Python API (`ConfigError` naming the
  argument); `dcsim calibrate --help` and `dcsim backtest --help` show theirs.
"""
