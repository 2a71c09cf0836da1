"""Write the worked-analysis notebooks (without outputs) from the cell texts below.

The notebooks are stored without outputs so that they are small, reviewable and always
re-run from scratch; ``tests/test_notebooks.py`` executes them. Edit the cells here and
run ``python notebooks/make_notebooks.py`` to rewrite them (the test checks the stored
notebooks match this file).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent

SETUP = '''\
from pathlib import Path

from IPython.display import Image, display

# Find the dcsim folder (the one holding pyproject.toml), wherever Jupyter was started.
ROOT = Path.cwd().resolve()
while not (ROOT / "pyproject.toml").exists():
    if ROOT == ROOT.parent:
        raise FileNotFoundError("Open this notebook from inside the dcsim folder.")
    ROOT = ROOT.parent
EXAMPLE = ROOT / "scenarios" / "example"
OUT = ROOT / "results" / "notebooks" / "{name}"  # charts are saved here as well as shown
OUT.mkdir(parents=True, exist_ok=True)

REPS = 20    # replications: 20 runs in seconds; use 200 or more for figures you quote
SEED = 2024  # the same seed gives the same numbers every time'''

QUICKSTART = [
    ("markdown", """\
# Quickstart: run a service, read the charts, change one assumption

This notebook runs the example service, a children's occupational therapy team in Wales,
doing nothing new, and shows how many children are likely to be waiting over the 14-week
target each month. Then it changes one assumption and shows the difference.

Run the cells from top to bottom (Shift+Enter). It takes about a minute."""),
    ("code", SETUP.format(name="01_quickstart")),
    ("markdown", """\
## 1. Load the example service

`scenarios/example/baseline.yaml` describes the whole service: referrals, triage,
pathways, job plans, staff in post and the waiting list at the end of March 2024. Apart
from the reported breach figures, its numbers are stated assumptions (the file says
which). The [YAML reference](../docs/yaml-reference.md) explains every field."""),
    ("code", """\
from sim.engine.scenario import load_config

baseline = load_config(EXAMPLE / "baseline.yaml")
service = baseline.service
print(f"{service.name}: {service.horizon_months} months from {service.start_date}")
print(f"Referrals a month (average): {baseline.demand.monthly_rate:g}")
for group in baseline.workforce:
    print(f"  {group.role}: {group.wte:g} WTE in post")
bands = baseline.initial_state.waiting_list
over = sum(band.count for band in bands if band.from_weeks >= service.rtt_target_weeks)
print(f"Waiting at the start: {sum(band.count for band in bands)}, "
      f"of whom {over} over {service.rtt_target_weeks:g} weeks")"""),
    ("markdown", """\
## 2. Run it

The simulator plays the service forward day by day: referrals arrive at random, are
triaged, wait, are seen when clinic time allows, miss appointments, have follow-ups. Each
*replication* is one equally likely version of the next three years; we run `REPS` of them.
`breaches()` gives, for each month end, the median number waiting over 14 weeks and the
10th and 90th percentiles across replications (80% of runs lie between them)."""),
    ("code", """\
from sim.api import run

do_nothing = run(baseline, reps=REPS, seed=SEED, scenario="do nothing")
do_nothing.breaches().head(12).round(0)"""),
    ("markdown", """\
## 3. The breach fan chart

The line is the median, the shaded band the 10th to 90th percentile. The black dots are
the breaches the service reported for April to July 2024 (Hywel Dda University Health
Board, Quality, Safety and Experience Committee paper, 5 December 2024). If the dots sit
well outside the band, the baseline needs calibrating (notebook 03) before its scenarios
are trusted."""),
    ("code", """\
from calibration.data import read_monthly
from sim.reports import plots

actuals = read_monthly(EXAMPLE / "actuals.csv").set_index("month")
plots.fan_chart(do_nothing.summary, "breaches", OUT / "breaches.png", actuals=actuals["breaches"])
display(Image(OUT / "breaches.png"))"""),
    ("markdown", """\
## 4. The waiting list, and capacity against demand

Everyone with the RTT clock running counts as waiting, whatever their wait. The second
chart shows why the list moves: clinical hours available after leave, sickness and
vacancies, the hours used, and the workload referred each month. When the workload line
sits above the hours available, the list grows."""),
    ("code", """\
plots.fan_chart(do_nothing.summary, "waiting", OUT / "waiting.png")
display(Image(OUT / "waiting.png"))
plots.capacity_demand_chart(do_nothing.summary, OUT / "capacity_demand.png")
display(Image(OUT / "capacity_demand.png"))"""),
    ("markdown", """\
## 5. Change one assumption and run again

Suppose Band 6 therapists could spend 75% of their time with patients instead of 70%
(less travel, say, by seeing children in school clinics): the non-clinical share falls from
0.30 to 0.25. `apply_changes` takes dotted field names, as in the YAML file, and checks the
new value like `dcsim validate` does. Running with the same seed means both runs see the
same referrals, absences and missed appointments, so the difference is the change itself."""),
    ("code", """\
import pandas as pd

from sim.engine.timeline import apply_changes

more_clinical = apply_changes(baseline, {"job_plans.band6.non_clinical_share": 0.25})
changed = run(more_clinical, reps=REPS, seed=SEED, scenario="Band 6 non-clinical 25%")
both = pd.concat([do_nothing.summary, changed.summary])
months = ["2024-09", "2025-03", "2026-03", "2027-03"]
both[both["month"].isin(months)].pivot(index="scenario", columns="month", values="breaches_p50")"""),
    ("markdown", """\
The table shows each scenario's median. Because both runs used the same random numbers,
we can also subtract them replication by replication: the **paired difference** below
(negative = fewer breaches than doing nothing) is the effect of the change, with a range
much narrower than the gap between two separate fans."""),
    ("code", """\
paired = changed.monthly.merge(do_nothing.monthly, on=["replication", "month"], suffixes=("", "_do_nothing"))
paired["difference"] = paired["breaches"] - paired["breaches_do_nothing"]
spread = paired.groupby("month")["difference"].quantile([0.1, 0.5, 0.9]).unstack()
spread.columns = ["10th percentile", "median", "90th percentile"]
spread.loc[months]"""),
    ("code", """\
plots.fan_chart(both, "breaches", OUT / "breaches_both.png", actuals=actuals["breaches"])
display(Image(OUT / "breaches_both.png"))"""),
    ("markdown", """\
## Next

- The same run from the command line, with all the charts and tables written to a folder:
  `dcsim run scenarios/example/baseline.yaml --reps 200 --out results/baseline`.
- Notebook 02 compares the improvement plan's workforce scenarios and solves for the staff
  needed; notebook 03 fits the model to the reported breaches.
- The [modelling guide](../docs/modelling-guide.md) explains every assumption."""),
]

WORKFORCE = [
    ("markdown", """\
# Workforce scenarios: what would each option do to breaches?

The improvement plan for the example service considered more staff and a change of access.
This notebook compares four scenarios on the same random numbers, asks how likely each is
to have no child waiting over 14 weeks by a date, and works out how many extra Band 6
therapists would be needed to be confident of it. It takes about a minute."""),
    ("code", SETUP.format(name="02_workforce_scenarios")),
    ("markdown", """\
## The scenarios

Each scenario file changes the baseline (`extends: baseline.yaml`) and says why at its top:

- `baseline.yaml`: do nothing new.
- `three_band6_posts.yaml`: three funded Band 6 posts; two start in October 2024, the third
  about four months later.
- `council_band6.yaml`: those three, plus a council-funded Band 6 (0.8 WTE for NHS clinics)
  from spring 2025.
- `open_referrals.yaml`: parents and schools may refer from September 2024; more referrals,
  longer triage, more signposting, no extra staff."""),
    ("code", """\
from sim.api import board_table, compare

files = ["baseline.yaml", "three_band6_posts.yaml", "council_band6.yaml", "open_referrals.yaml"]
result = compare([EXAMPLE / name for name in files], reps=REPS, seed=SEED, goal="breaches<=0 by 2026-03")
result.names"""),
    ("markdown", """\
## Breaches by month: the board-paper table

One row per scenario (labelled by the `title:` in its file), quarter ends across; each cell
is the median across replications with the 10th to 90th centile in brackets. The reported
actuals and the projection the service published come first. The same table is written as
`board_table.xlsx` by `dcsim compare` (every month: `board_table_monthly.csv`)."""),
    ("code", """\
from calibration.data import read_monthly

actuals = read_monthly(EXAMPLE / "actuals.csv")
board = board_table(result, actuals)
board"""),
    ("code", """\
from sim.reports import plots

plots.fan_chart(result.summary, "breaches", OUT / "breaches_fan.png",
                actuals=actuals.set_index("month")["breaches"], target_line=0)
display(Image(OUT / "breaches_fan.png"))"""),
    ("markdown", """\
## Paired differences

Every scenario ran with the same seed, so replication 1 of each saw the same referrals,
absences and missed appointments. Subtracting the baseline replication by replication
leaves the effect of the change: below, the median difference in breaches from doing
nothing and the range 80% of the differences fall in (negative = fewer breaches)."""),
    ("code", """\
months = ["2024-12", "2025-03", "2025-09", "2026-03"]
columns = ["scenario", "month", "breaches_diff_p10", "breaches_diff_mean", "breaches_diff_p90"]
differences = result.comparison.loc[result.comparison["month"].isin(months), columns]
differences[differences["scenario"] != result.baseline].round(0)"""),
    ("markdown", """\
## How likely is it that no child waits over 14 weeks?

`goals` gives, for the goal set above (no breaches at the end of March 2026), the share of
replications that met it and a 90% interval for that share. With only 20 replications the
interval is wide: use 200 or more before quoting a probability. The loop after it asks the
same question for other month ends."""),
    ("code", """\
result.goals.round(2)"""),
    ("code", """\
import pandas as pd

from sim.questions.goals import parse_goal

by_date = {}
for month in ["2025-06", "2025-12", "2026-06", "2027-03"]:
    goal = parse_goal(f"breaches<=0 by {month}")
    by_date[month] = goal.probability(result.monthly).set_index("scenario")["probability"]
pd.DataFrame(by_date)"""),
    ("markdown", """\
## How many Band 6 WTE would we need?

`solve` changes one lever and finds the least value that meets a goal with a given
probability. Here the lever is the number of Band 6 WTE starting in October 2024 (the
first event of `three_band6_posts.yaml`, written `events.0.add_staff.wte`; the later post
stays as it is), the goal is no breaches by the end of December 2025, and we want to be 80%
sure. The lever values tried, with their probabilities, are in `evaluations`."""),
    ("code", """\
from sim.api import solve

answer = solve(EXAMPLE / "three_band6_posts.yaml", lever="events.0.add_staff.wte",
               goal="breaches<=0 by 2025-12", confidence=0.8, low=0, high=6, step=1,
               reps=REPS, seed=SEED)
print(answer.message)
answer.evaluations[["value", "probability", "p_low", "p_high", "meets_confidence"]]"""),
    ("markdown", """\
## Next

- The same comparison from the command line writes a self-contained `report.html` for a
  board paper:
  `dcsim compare scenarios/example/baseline.yaml scenarios/example/three_band6_posts.yaml
  scenarios/example/council_band6.yaml scenarios/example/open_referrals.yaml
  --actuals scenarios/example/actuals.csv --goal "breaches<=0 by 2026-03" --reps 200 --out results/plan`.
- `dcsim solve` does the last step (`--lever`, `--goal`, `--confidence`, `--low`, `--high`, `--step`).
- Before trusting any of this for your own service, check its do-nothing run against your
  reported figures: notebook 03."""),
]

CALIBRATE = [
    ("markdown", """\
# Calibrate the example to the reported breaches

A projection is only as good as the model behind it. The example service's referral
volume, caseload and staffing are not published: they are assumptions. What *is* published
is the breaches the service reported for April to July 2024, what the board paper says the
improvement plan did (weekly waiting-list validation from May 2024, job planning, two Band 6
posts from October 2024), and the service's own projection of breaches had nothing changed.
This notebook fits the size of the plan's validation to the reported breaches, keeps the
do-nothing projection as a separate check of the baseline, and tests the forecast on months
hidden from the fit. It takes a minute or two."""),
    ("code", SETUP.format(name="03_calibrate_to_actuals")),
    ("markdown", """\
## 1. The published figures

`actuals.csv` holds the reported breaches (`breaches`, April to July 2024) and the service's
published do-nothing projection (`projected_breaches`), from Hywel Dda University Health
Board's Quality, Safety and Experience Committee paper of 5 December 2024. Blank cells are
months not reported."""),
    ("code", """\
from calibration.data import read_monthly

history = read_monthly(EXAMPLE / "actuals.csv")
history"""),
    ("markdown", """\
## 2. A check first: does the do-nothing baseline follow the do-nothing projection?

`baseline.yaml` models the service doing nothing new, so it should follow the service's own
do-nothing projection (black dots). It is not fitted to it: this is a check of the stated
assumptions. The reported breaches (open red diamonds) fall from May while the projection
rises: the plan was already working, which the baseline does not contain."""),
    ("code", """\
from calibration.report import history_chart
from sim.api import run

before = run(EXAMPLE / "baseline.yaml", reps=REPS, seed=SEED, scenario="baseline (do nothing)")
observed = history.set_index("month")
series = [("published do-nothing projection (a check)", observed["projected_breaches"], True),
          ("reported breaches", observed["breaches"], False)]
history_chart(before.summary, "breaches", series, OUT / "baseline_check.png",
              "Do-nothing baseline against the do-nothing projection", last_month="2025-03")
display(Image(OUT / "baseline_check.png"))"""),
    ("markdown", """\
## 3. Fit the plan to what was reported

`improvement_plan.yaml` adds the plan's three events to the baseline, each with a `label`:
weekly validation from May 2024, job planning from June 2024 (Band 6 non-clinical share 0.25
instead of 0.30, an assumption) and the two Band 6 posts from October 2024 (published). The
validation is a sweep of a finite pool: `stale_share` of those waiting in May no longer need
the service, and each weekly round finds `find_share` of the stale entries not yet found, so
each week finds fewer (on top of the baseline's routine 0.5% a month). Neither share is
published, so both are fitted to the four reported months. A field inside an event is named
by the event's label: `events.<label>.<action>.<field>`.

Four months of one series fix these two only loosely (a large pool found slowly and a small
one found fast both match the fall; the warnings below say so), and fitting the job-planning
share as well would leave all three unidentified, so job planning stays a stated assumption.
`reps`, `draws` and `forecast_reps` are kept small so the notebook runs quickly; the command
line defaults are larger."""),
    ("code", """\
from calibration.fit import fit

SWEEP = "events.validation weekly.validation_sweep"
VALIDATION = [f"{SWEEP}.stale_share", f"{SWEEP}.find_share"]
BOUNDS = {f"{SWEEP}.stale_share": (0.01, 0.5), f"{SWEEP}.find_share": (0.02, 0.5)}
result = fit(EXAMPLE / "improvement_plan.yaml", EXAMPLE / "actuals.csv", VALIDATION, reps=4, seed=SEED,
             bounds=BOUNDS, targets={"breaches": "breaches"}, draws=200,
             forecast_reps=REPS)
result.table[["parameter", "before", "estimate", "low", "high", "share_of_bounds"]]"""),
    ("markdown", """\
## 4. Can we trust it? The diagnostics

The fit says plainly when the figures cannot pin a parameter down (its range covers most of
the box searched), when the best value sits at the edge of the box, when two parameters
trade off against each other, or when too few draws were kept."""),
    ("code", """\
for warning in result.warnings or ["none"]:
    print("-", warning)"""),
    ("markdown", """\
## 5. The fit against the figures

The calibrated plan (each replication draws the validation's shares from the ranges above, so
the band carries that uncertainty too) against the reported breaches it was fitted to. The
do-nothing projection is drawn too, as a check only: with the plan in the model the fan
should sit below it. `checks` scores both series: `mae` is the average gap between the
median and the figures, `bias` its sign (positive = model above), `coverage_80` the share of
months inside the 10-90% band."""),
    ("code", """\
from calibration.report import write_fit

write_fit(result, OUT / "fit", EXAMPLE / "improvement_plan.yaml")
display(Image(OUT / "fit" / "fit_breaches.png"))
result.checks"""),
    ("markdown", """\
The fit is saved as a scenario file: the plan's events with the fitted value in place,
extending the baseline, ready for `dcsim run` or `dcsim compare`, beside a full HTML report
(`fit_report.html`) and the kept parameter draws (`parameter_draws.csv`, one row per draw,
one column per fitted field):"""),
    ("code", """\
print((OUT / "fit" / "calibrated.yaml").read_text())"""),
    ("markdown", """\
## 6. Backtest: would it have predicted months it had not seen?

`backtest` fits on the first months only and forecasts the next ones, then rolls on a month
and does it again. Here it fits on April-May 2024 and forecasts June-July, then fits on
April-June and forecasts July. Each forecast is scored beside naive forecasts from the same
months (the last value carried forward and a straight-line drift): a model whose band is
not narrower or whose median is not closer than these is not adding anything. Three scored
points are very few: read this as a demonstration of the method, not a verdict."""),
    ("code", """\
from calibration.backtest import backtest
from calibration.backtest_report import summary_lines, write_backtest

test = backtest(EXAMPLE / "improvement_plan.yaml", EXAMPLE / "actuals.csv", VALIDATION, k=2, reps=4,
                seed=SEED, bounds=BOUNDS, targets={"breaches": "breaches"},
                horizon=2, draws=100, forecast_reps=REPS)
print("\\n".join(summary_lines(test)))
test.scores"""),
    ("code", """\
write_backtest(test, OUT / "backtest", EXAMPLE / "improvement_plan.yaml")
display(Image(OUT / "backtest" / "backtest_breaches.png"))"""),
    ("markdown", """\
## What this tells a planner

- With the plan's events in the model, the weekly validation as a clean-up that finds fewer
  each week (its two unpublished shares fitted) brings the model onto the breaches the
  service reported, and the table above says how loosely four months fix them. Because the
  pool runs out, the forecast levels off rather than falling for ever.
- The do-nothing baseline follows the service's own do-nothing projection without being
  fitted to it: the plan, not a different baseline, explains why breaches fell.
- The shipped `scenarios/example/calibrated.yaml` was made by the `dcsim calibrate` command
  written in its header (the same fit with larger settings, run from the dcsim folder);
  `dcsim backtest` takes the same options and `--train-months 2 --horizon 2`.
- The [calibration guide](../docs/calibration.md) covers estimating a baseline from a
  patient-level extract (`dcsim estimate`), the monthly file format and every option."""),
]

FROM_WAITS = [
    ("markdown", """\
# From published waits to a fitted service and its forecast

Every community provider in England reports its waiting list to NHS England each month, split
by weeks waited (the Community Health Services SitRep). This notebook takes one such series,
a children's speech and language therapy service, and goes from the published figures to a
runnable dcsim service, its forecast with an honest band, that forecast's track record on the
service's own history, and a first scenario on top of it.

It reads `../shared/data/chs/chs_england_therapy_wide.csv.gz` (NHS England's published figures,
see its README) beside the dcsim folder. It takes about a minute."""),
    ("code", SETUP.format(name="04_from_published_waits") + """
CHS = ROOT.parent / "shared" / "data" / "chs" / "chs_england_therapy_wide.csv.gz"
if not CHS.exists():
    raise FileNotFoundError(f"{CHS} is missing: put the shared data folder beside dcsim.")
PROVIDER, SERVICE = "RLQ", "(CYP) Therapy interventions: Speech and language"
UP_TO = "2025-01"  # fit on months up to here; the months after it are kept back as a check"""),
    ("markdown", """\
## 1. Read the series, and what is wrong with it

`read_waits` reads one provider x service series. Months whose bands do not sum to the total,
months repeated unchanged and gaps are listed in `problems`, not silently used: the fit uses only
the usable consecutive months up to `UP_TO`."""),
    ("code", """\
from calibration.waits import read_waits

history = read_waits(CHS, PROVIDER, SERVICE)
print(f"{history.provider_name}: {history.service}")
print("Band edges (weeks waited):", ", ".join(f"{edge:g}" for edge in history.edges_weeks))
for problem in history.problems:
    print("-", problem.message)
history.frame().tail(8)"""),
    ("markdown", """\
## 2. A service from its waits

`from_waits` (the Python form of `dcsim from-waits`) infers, with a range, what the snapshots
imply: referrals joining the list a month, first contacts a month, and exit rates by weeks
waited. It writes a runnable `service.yaml` starting from the `UP_TO` snapshot, the parameter
draws, a fit report and the forecast. What nothing published can give (the share of exits that
are removals rather than first contacts) is a stated prior, and the YAML header says so."""),
    ("code", """\
import pandas as pd
from sim.api import from_waits

FITTED = OUT / "from_waits"
manifest = from_waits(CHS, UP_TO, FITTED, provider=PROVIDER, service=SERVICE, horizon=6, reps=REPS * 2,
                      seed=SEED)
print("Fitted on", ", ".join(manifest["fitted_months"]))
inferred = pd.DataFrame(manifest["inferred"], index=["median", "5th percentile", "95th percentile"]).T
inferred.round(2)"""),
    ("markdown", """\
## 3. The forecast, and the months it never saw

The band includes the simulation's own noise, the spread of the parameter draws, and **model
error**: how far dcsim's forecasts have missed real CHS services at each horizon (a table
estimated on 2023 months only). The black dots are what the service went on to report after
`UP_TO`: the forecast was made without them, so they are a fair check."""),
    ("code", """\
from sim.reports import plots

summary = pd.read_csv(FITTED / "summary.csv").assign(scenario="forecast from Jan 2025")
reported = pd.Series(history.over(18.0), index=list(history.months), dtype=float)
plots.fan_chart(summary, "breaches", OUT / "over_18_weeks.png", actuals=reported,
                title="Waiting over 18 weeks: forecast from the published waits")
display(Image(OUT / "over_18_weeks.png"))
later = summary.set_index("month")[["breaches_p10", "breaches_p50", "breaches_p90"]]
later.join(reported.rename("reported")).round(0)"""),
    ("markdown", """\
How much of each band is model error rather than the simulation's own spread (by months ahead):"""),
    ("code", """\
pd.DataFrame(manifest["uncertainty"]["model_error"]["share_of_80_band_by_horizon"]).round(2)"""),
    ("markdown", """\
## 4. Its track record on this service

The same forecast, made from earlier months with only what was published by then, set against
what was then reported, beside "same as the last month" (carry-forward), drift and a random-walk
band. This is the figure to show beside the fan: it says how far to trust it here."""),
    ("code", """\
scores = pd.read_csv(FITTED / "track_record_scores.csv")
scores[["measure", "method", "months", "coverage_80", "coverage_50", "mae"]].round(2)"""),
    ("markdown", """\
## 5. A first scenario on the fitted service

The fitted service has one role, `clinician`, whose time delivers the inferred first contacts.
A scenario `extends:` it like any other dcsim file: here a fifth more clinical time from April
2025. Both runs share their random numbers, so the difference is the change itself."""),
    ("code", """\
import yaml
from sim.api import compare

wte = yaml.safe_load((FITTED / "service.yaml").read_text())["workforce"][0]["wte"]
added = {"role": "clinician", "wte": round(wte / 5, 4)}
more = {"extends": "service.yaml",
        "events": [{"date": "2025-04-01", "label": "a fifth more clinical time", "add_staff": added}]}
(FITTED / "more_time.yaml").write_text(yaml.safe_dump(more, sort_keys=False))
both = compare([FITTED / "service.yaml", FITTED / "more_time.yaml"], reps=REPS, seed=SEED)
both.summary.pivot(index="month", columns="scenario", values="breaches_p50")"""),
    ("markdown", """\
## Next
- The same from the command line: `dcsim from-waits ../shared/data/chs/chs_england_therapy_wide.csv.gz
  --provider RLQ --service "(CYP) Therapy interventions: Speech and language" --up-to 2025-01
  --out results/from_waits`, then `dcsim compare` on scenarios that extend its `service.yaml`.
- `dcsim track results/from_waits --actuals NEWER.csv` scores the forecast when later months are
  published.
- The [calibration guide](../docs/calibration.md), sections 8-11, gives every option and the
  panel figures: on real services "same as the last month" is hard to beat, and the guide says
  by how much dcsim does or does not."""),
]

NOTEBOOKS = {
    "01_quickstart.ipynb": QUICKSTART,
    "02_workforce_scenarios.ipynb": WORKFORCE,
    "03_calibrate_to_actuals.ipynb": CALIBRATE,
    "04_from_published_waits.ipynb": FROM_WAITS,
}


def notebook(cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    """A notebook without outputs, with stable cell ids (so rewriting it changes nothing)."""
    made = []
    for number, (kind, source) in enumerate(cells, start=1):
        make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        cell = make(source)
        cell["id"] = f"cell-{number:02d}"
        made.append(cell)
    book = nbformat.v4.new_notebook(cells=made)
    book.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    return book


def text(cells: list[tuple[str, str]]) -> str:
    """The notebook file's text."""
    return nbformat.writes(notebook(cells)) + "\n"


def main(folder: Path = HERE) -> None:
    for name, cells in NOTEBOOKS.items():
        (folder / name).write_text(text(cells))
        print(folder / name)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
