"""Reading history files: monthly aggregates and patient-level extracts, and their errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from calibration.data import DataError, band_columns, read_extract, read_monthly
from sim.engine.scenario import ConfigError

PUBLIC_BREACHES = (
    Path(__file__).resolve().parents[1] / "calibration" / "data" / "hywel_dda_paeds_ot_breaches_2024.csv"
)
EXTRACT_HEADER = (
    "referral_id,referral_date,priority,source,triage_date,triage_outcome,"
    "first_contact_date,followup_contacts,followup_dates,discharge_date,dna_count"
)
GOOD_ROW = "R1,2023-01-05,routine,gp,2023-01-10,specialist,2023-03-01,2,2023-03-22;2023-04-12,2023-04-12,1"


def write(tmp_path: Path, text: str, name: str = "history.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def monthly_error(tmp_path: Path, text: str) -> str:
    with pytest.raises(DataError) as caught:
        read_monthly(write(tmp_path, text))
    return str(caught.value)


def test_data_error_is_a_config_error_so_the_cli_exits_2():
    assert issubclass(DataError, ConfigError)


def test_public_breach_file_reads_with_its_own_column_names():
    frame = read_monthly(PUBLIC_BREACHES)
    assert list(frame.columns) == ["month", "breaches", "projected_breaches"]
    assert frame["month"].iloc[0] == "2024-04" and frame["month"].iloc[-1] == "2025-03"
    assert frame["breaches"].iloc[:4].tolist() == [329, 323, 310, 303]
    assert frame["breaches"].iloc[4:].isna().all()  # actuals only for the first four months
    assert frame["projected_breaches"].notna().all()


def test_all_columns_and_weeks_waiting_bands(tmp_path):
    text = (
        "Month,Referrals,Waiting,Breaches,First_Contacts,WTE,band_0_4,band_4_14,band_14_plus\n"
        '2024-01,100,500,200,"1,020",7.5,100,200,200\n'
        "2024-02,,,,,,,,\n"
    )
    frame = read_monthly(write(tmp_path, text))
    assert frame.loc[2, "first_contacts"] == 1020  # thousands separators from Excel
    assert frame.loc[2, "wte"] == 7.5
    assert frame.loc[3].drop("month").isna().all()
    assert band_columns(frame) == [("band_0_4", 0, 4), ("band_4_14", 4, 14), ("band_14_plus", 14, np.inf)]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("2024-01,10\n2024-3,12\n", "row 3, column month: not a month: '2024-3' (use YYYY-MM)"),
        ("2024-01,10\n2024-13,12\n", "row 3, column month: not a month"),
        ("2024-01,10\n2024-03,12\n2024-02,11\n", "row 4, column month: 2024-02 is before 2024-03 on row 3"),
        ("2024-01,10\n2024-02,12\n2024-02,11\n", "row 4, column month: 2024-02 repeats row 3"),
        (
            "2024-01,10\n2024-02,12\n2024-04,11\n",
            "row 4, column month: 2024-04 follows 2024-02: 2024-03 missing",
        ),
        ("2024-01,10\n2024-06,12\n", "2024-02 to 2024-05 missing"),
        ("2024-01,10\n2024-02,-3\n", "history.csv: row 3, column referrals: negative count -3"),
        ("2024-01,ten\n", "row 2, column referrals: not a number: 'ten'"),
        ("2024-01,10.5\n", "row 2, column referrals: not a whole number: 10.5"),
    ],
)
def test_monthly_errors_name_row_and_column(tmp_path, body, expected):
    assert expected in monthly_error(tmp_path, "month,referrals\n" + body)


def test_row_numbers_are_file_lines_even_after_blank_lines(tmp_path):
    message = monthly_error(tmp_path, "month,referrals\n2024-01,10\n\n2024-02,-1\n")
    assert "row 4, column referrals" in message


def test_breaches_above_waiting_named_in_the_files_own_column(tmp_path):
    message = monthly_error(tmp_path, "month,waiting,actual_breaches\n2024-01,300,340\n")
    assert message == "history.csv: row 2, column actual_breaches: 340 breaches exceed 300 waiting".replace(
        "history.csv", str(tmp_path / "history.csv")
    )


def test_bands_adding_to_more_than_the_list(tmp_path):
    message = monthly_error(tmp_path, "month,waiting,band_0_4,band_4_plus\n2024-01,10,8,8\n")
    assert "row 2, column waiting: bands add up to 16, more than 10 waiting" in message


def test_every_problem_reported_at_once(tmp_path):
    message = monthly_error(tmp_path, "month,referrals,waiting\n2024-01,-1,x\n2024-xx,3,4\n")
    assert len(message.splitlines()) == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("referrals\n10\n", "column month: required"),
        ("month,referals\n2024-01,10\n", "column referals: unknown column"),
        ("month,band_4_0\n2024-01,1\n", "column band_4_0: band upper edge must exceed the lower"),
        ("month,band_0_8,band_4_12\n2024-01,1,1\n", "column band_0_8: overlaps the next band"),
        ("", "the file is empty"),
        ("month,referrals\n2024-01,1,2\n", "row 2: 3 cells but the header has 2 columns"),
    ],
)
def test_monthly_file_shape_errors(tmp_path, text, expected):
    assert expected in monthly_error(tmp_path, text)


def test_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="nope.csv: file not found"):
        read_monthly(tmp_path / "nope.csv")


# --- patient-level extracts ----------------------------------------------------------------


def extract_file(tmp_path: Path, *rows: str, header: str = EXTRACT_HEADER) -> Path:
    return write(tmp_path, "\n".join([header, *rows]) + "\n", "extract.csv")


def test_good_extract_parses_and_drops_identifiers(tmp_path):
    frame, report = read_extract(extract_file(tmp_path, GOOD_ROW, GOOD_ROW.replace("R1", "R2")))
    assert "referral_id" not in frame.columns
    assert not frame.astype(str).apply(lambda c: c.str.contains("R1")).any().any()
    assert report.total == 0 and report.rows_kept == 2
    row = frame.loc[2]
    assert row["referral_date"] == pd.Timestamp("2023-01-05")
    assert row["followup_contacts"] == 2 and row["dna_count"] == 1
    assert row["followup_dates"] == (pd.Timestamp("2023-03-22"), pd.Timestamp("2023-04-12"))


def test_uk_dates_and_followup_counts_from_dates(tmp_path):
    header = (
        "referral_date,priority,triage_date,triage_outcome,first_contact_date,followup_dates,discharge_date"
    )
    row = "05/01/2023,Urgent,06/01/2023,Specialist,20/01/2023,03/02/2023;17/02/2023,17/02/2023"
    frame, _ = read_extract(extract_file(tmp_path, row, header=header))
    assert frame.loc[2, "referral_date"] == pd.Timestamp("2023-01-05")
    assert frame.loc[2, "followup_contacts"] == 2
    assert frame.loc[2, "priority"] == "urgent" and frame.loc[2, "triage_outcome"] == "specialist"


def test_pending_referrals_keep_empty_dates(tmp_path):
    frame, report = read_extract(extract_file(tmp_path, "R1,2023-01-05,routine,gp,,,,0,,,0"))
    assert report.total == 0
    assert frame.loc[2, ["triage_date", "first_contact_date", "discharge_date"]].isna().all()


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (GOOD_ROW.replace("2023-03-01", "2023-02-30"), "row 2, column first_contact_date: not a date"),
        (GOOD_ROW.replace("2023-01-05", "yesterday"), "row 2, column referral_date: not a date"),
        (GOOD_ROW.replace("2023-01-05", ""), "row 2, column referral_date: empty (required)"),
        (GOOD_ROW.replace(",routine,", ",,"), "row 2, column priority: empty (required)"),
        (GOOD_ROW.replace(",2,", ",-2,"), "row 2, column followup_contacts: negative count -2"),
        (GOOD_ROW[:-1] + "x", "row 2, column dna_count: not a number: 'x'"),
        (GOOD_ROW.replace("2023-03-22;", "2023-03-22;x;"), "row 2, column followup_dates: not a date: 'x'"),
    ],
)
def test_unreadable_extract_cells_raise_named_errors(tmp_path, row, expected):
    with pytest.raises(DataError) as caught:
        read_extract(extract_file(tmp_path, GOOD_ROW, row.replace("R1,", "R9,")))
    assert expected.replace("row 2", "row 3") in str(caught.value)
    assert str(tmp_path / "extract.csv") in str(caught.value)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (EXTRACT_HEADER.replace("triage_date,", ""), "column triage_date: required but missing"),
        (EXTRACT_HEADER + ",nhs_number", "column nhs_number: unknown column"),
        (EXTRACT_HEADER.replace("followup_contacts,followup_dates,", ""), "give it or followup_dates"),
    ],
)
def test_extract_column_errors(tmp_path, header, expected):
    with pytest.raises(DataError, match=expected):
        read_extract(extract_file(tmp_path, header=header))


def test_inconsistent_rows_are_excluded_and_counted_never_silently(tmp_path):
    rows = [
        GOOD_ROW,  # line 2: kept
        GOOD_ROW.replace("R1,2023-01-05", "R2,2023-03-05"),  # triage and first contact before referral
        GOOD_ROW.replace("R1,", "R3,").replace("2023-01-10", "2022-12-01"),  # triage before referral
        GOOD_ROW.replace("R1,", "R4,").replace(",2023-04-12,1", ",2023-02-01,1"),  # discharge first
        GOOD_ROW,  # line 6: duplicate of line 2
        GOOD_ROW.replace("R1,", "R6,").replace(",2,", ",3,"),  # count disagrees with dates
        GOOD_ROW.replace("R1,", "R7,").replace("specialist", "reject"),  # seen after rejection
        GOOD_ROW.replace("R1,", "R8,").replace("2023-03-22;", "2023-02-22;"),  # follow-up before first
    ]
    frame, report = read_extract(extract_file(tmp_path, *rows))
    assert report.rows == {
        "duplicate referral_id (later rows)": [6],
        "followup_contacts disagrees with followup_dates": [7],
        "triage before referral": [3, 4],
        "discharge before first contact": [5],
        "first contact after reject or signpost": [8],
        "follow-up before first contact": [9],
    }
    assert report.rows_read == 8 and report.total == 7 and report.rows_kept == 1
    assert list(frame.index) == [2]
    summary = report.summary()
    assert "8 rows read, 7 excluded, 1 kept" in summary
    assert "triage before referral: 2 (rows 3, 4)" in summary


def test_first_contact_before_referral_is_excluded(tmp_path):
    row = "R1,2023-01-05,routine,gp,2023-01-05,specialist,2023-01-01,0,,2023-01-01,0"
    frame, report = read_extract(extract_file(tmp_path, row))
    assert report.counts == {"first contact before referral": 1}
    assert frame.empty
