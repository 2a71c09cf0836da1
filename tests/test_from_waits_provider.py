"""``dcsim from-waits --all-services``: one provider's services from a CHS-layout file.

The file is written here from the compartment simulator of ``test_from_waits`` (not dcsim's
engine): two services with flows, one whose list is empty. Each fitted service must be the one a
single ``dcsim from-waits --service`` makes (the same summary byte for byte), the empty one refused
with its reason, the portfolio must run, and an interrupted fit must resume without refitting
what it finished.
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from compartment import compartment_history
from typer.testing import CliRunner

from calibration.from_waits import provider
from calibration.from_waits.provider import folder_name, portfolio_from_waits, provider_services, short_name
from sim.cli import app

RATES = [0.3, 0.3, 0.3, 0.25, 0.2, 0.1, 0.05]
COLUMNS = "wk_0_1,wk_1_2,wk_2_4,wk_4_12,wk_12_18,wk_18_52,wk_over_52"
SERVICES = {"(CYP) Therapy interventions: Speech and language": 60.0, "(A) Podiatry": 30.0,
            "(A) Therapy interventions: Dietetics": 0.0}
UP_TO = "2022-05"  # the last month compartment_history(months=6) reports
OPTIONS = ["--up-to", UP_TO, "--reps", "4", "--track-record", "0", "--horizon", "3"]


def chs_file(folder):
    lines = [f"month,org_type,org_code,org_name,service,waiting_total,{COLUMNS}"]
    for number, (service, referrals) in enumerate(SERVICES.items()):
        history, _ = compartment_history(max(referrals, 1.0), RATES, months=6, seed=number + 1)
        for month, counts in zip(history.months, history.counts, strict=True):
            counts = counts if referrals else np.zeros_like(counts)
            bands = ",".join(map(str, counts))
            lines.append(f"{month},Provider,RX1,A TRUST,{service},{counts.sum()},{bands}")
    path = folder / "wide.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_each_service_is_the_single_fit_the_empty_one_is_refused_and_the_portfolio_runs(tmp_path):
    path = chs_file(tmp_path)
    runner = CliRunner()
    result = runner.invoke(app, ["from-waits", str(path), "--provider", "RX1", "--all-services", *OPTIONS,
                                 "--out", str(tmp_path / "all")])
    assert result.exit_code == 0, result.output
    assert "2 services fitted" in result.output
    assert "not fitted: (A) Therapy interventions: Dietetics" in result.output
    table = (tmp_path / "all" / "services.csv").read_text()
    assert "refused,the list holds at most 0 patients" in table
    spec = yaml.safe_load((tmp_path / "all" / "portfolio.yaml").read_text())["portfolio"]
    assert [s["name"] for s in spec["services"]] == ["Adults Podiatry", "CYP Speech and language"]
    for service, name in (("(A) Podiatry", "Adults Podiatry"),
                          ("(CYP) Therapy interventions: Speech and language", "CYP Speech and language")):
        single = tmp_path / folder_name(name)
        done = runner.invoke(app, ["from-waits", str(path), "--provider", "RX1", "--service", service,
                                   *OPTIONS, "--out", str(single)])
        assert done.exit_code == 0, done.output
        together = tmp_path / "all" / folder_name(name) / "summary.csv"
        assert together.read_bytes() == (single / "summary.csv").read_bytes()
    ran = runner.invoke(app, ["run", str(tmp_path / "all" / "portfolio.yaml"), "--reps", "2",
                              "--out", str(tmp_path / "run")])
    assert ran.exit_code == 0, ran.output
    assert "2 services" in ran.output


def test_an_interrupted_fit_resumes_without_refitting_what_it_finished(tmp_path, monkeypatch):
    path = chs_file(tmp_path)
    histories = provider_services(path, "RX1")
    calls: list[str] = []
    real = provider.from_waits

    def stopping(history, *args, **kwargs):
        calls.append(history.service)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(history, *args, **kwargs)

    monkeypatch.setattr(provider, "from_waits", stopping)
    options = {"reps": 4, "track_origins": 0, "horizon": 3}
    with pytest.raises(KeyboardInterrupt):
        portfolio_from_waits(histories, UP_TO, tmp_path / "out", **options)
    assert not (tmp_path / "out" / "portfolio.yaml").exists()  # nothing published
    first = calls[0]
    counted = []
    monkeypatch.setattr(provider, "from_waits", counting(real, counted))
    manifest = portfolio_from_waits(histories, UP_TO, tmp_path / "out", **options)
    assert first not in counted and len(manifest["services"]) == 2
    assert not (tmp_path / "out" / provider.WORK).exists()


def counting(real, calls: list):
    def fit(history, *args, **kwargs):
        calls.append(history.service)
        return real(history, *args, **kwargs)
    return fit


def test_bad_requests_are_refused_and_write_nothing(tmp_path):
    path = chs_file(tmp_path)
    runner = CliRunner()
    for extra, message in (
        (["--provider", "RX1", "--service", "Podiatry"], "--all-services: give --provider and no --service"),
        (["--provider", "RX9"], "provider 'RX9' not found (give an org_code or exact name); "
                                "near matches: RX1 (A TRUST)"),
        (["--provider", "RX1", "--target-weeks", "14"], "14.0 lies between the 12 and 18 week edges"),
    ):
        result = runner.invoke(app, ["from-waits", str(path), "--all-services", *extra, *OPTIONS,
                                     "--out", str(tmp_path / "never")])
        assert result.exit_code == 2, result.output
        assert message in result.output and "Traceback" not in result.output
        assert not (tmp_path / "never").exists()


def test_names_read_like_the_service_and_stay_unique():
    taken: set[str] = set()
    first = short_name("(CYP) Therapy interventions: Speech and language", taken)
    assert first == "CYP Speech and language" and folder_name(first) == "cyp-speech-and-language"
    taken.add(folder_name(first))
    again = short_name("(CYP) Therapy interventions: Speech and language", taken)
    assert again == "CYP Speech and language 2"
    assert short_name("((!!))", set()) == "service"
    assert len(short_name("x" * 90, set())) <= 60
