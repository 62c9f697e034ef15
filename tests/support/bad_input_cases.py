"""The bad-input corpus of issue 7: broken exports, each with the outcome the pipeline must give.

Every case damages a copy of the shared demo export (the `published` fixture's) and ends as one of:

* `Quarantined`: the run publishes; the case's row is in `quarantine.<table>` with its rule;
* `Stored`: the run publishes; the case's odd values are kept verbatim as data in `raw.<table>`;
* `Loaded`: the run publishes, having read its files from an oddly named folder;
* `HeldBack`: the run exits non-zero; one line of its output names the file, the column and the rule.

A run costs a whole pipeline run (Dagster, dbt, Great Expectations: 30 s to a minute), so cases
that cannot hide one another share a run: each damages its own rows (quarantine) or its own file
(held back), and each is proven by its own quarantined row or its own output line. A file that
fails to load always holds the run back, whatever else the run finds.

The file is a little over 300 lines on purpose: it is the corpus, one place to read every case
with the damage it does and the outcome it must have.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

INJECTION = "'; drop table raw.opportunity; --"
SQL_VALUES = (INJECTION, 'say "hi"', "C:\\temp\\new\\", "\\'; select 1; --")
SQL_COLUMNS = {INJECTION: "drop_table_raw_opportunity", 'Say "hi"': "say_hi", "back\\slash": "back_slash"}
SQL_FOLDER = f"export {INJECTION} \"q\" \\"  # the export's folder: every file path holds it

@dataclass(frozen=True)
class Quarantined:
    table: str
    rule: str  # the row's rules, as `_quarantine_rules` lists them
    # What `_parse_error` says, `{line}` being the line of the case's record in its file.
    says: tuple[str, ...] = ()
    # The file whose last line is the case's record, when the reader rejected it: such a row has
    # no Name to find it by (every field is NULL), so it is found by its line.
    cut_file: str = ""


@dataclass(frozen=True)
class Stored:
    table: str
    values: dict[str, tuple[str, ...]]  # raw column -> values it must hold verbatim


@dataclass(frozen=True)
class Loaded:
    files: tuple[str, ...]  # object files the run loaded from its --source folder
    ignored: tuple[str, ...]  # files in that folder it did not load


@dataclass(frozen=True)
class HeldBack:
    says: tuple[str, ...]  # substrings of one output line: the file, the column, the rule
    exit_code: int = 1


@dataclass(frozen=True)
class Case:
    id: str
    what: str
    damage: Callable[[Path], Path | None]  # damages the export in place; may return another --source
    outcome: Quarantined | Stored | Loaded | HeldBack
    run: str = ""  # the shared run it belongs to; empty: a run of its own
    xfail: str = ""  # the missing feature, for a case the pipeline does not handle yet
    covered_by: str = ""  # a test elsewhere that runs this case


def read(export: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(export / f"{name}.csv", dtype=str, keep_default_na=False)


def write(frame: pd.DataFrame, export: Path, name: str) -> None:
    frame.to_csv(export / f"{name}.csv", index=False)


def marker(case_id: str) -> str:
    """The Name of the row a quarantine case adds, by which the test finds it in quarantine."""
    return f"bad input: {case_id}"


def _add_opportunity(case_id: str, **values: str) -> Callable[[Path], None]:
    """Append a copy of an open opportunity, under a new Id and the case's marker, with `values`."""
    def damage(export: Path) -> None:
        opportunities = read(export, "Opportunity")
        template = opportunities[(opportunities["IsClosed"] == "false") & (opportunities["AccountId"] != "")]
        number = sum(name.startswith("bad input") for name in opportunities["Name"])
        row = template.iloc[[0]].assign(Id=f"006BADINPUT{number:07d}", Name=marker(case_id))
        write(pd.concat([opportunities, row.assign(**values)]), export, "Opportunity")
    return damage


def _converted_lead_without_converted_date(export: Path) -> None:
    leads = read(export, "Lead")
    row = leads[leads["IsConverted"] == "true"].iloc[[0]]
    row = row.assign(Id="00QBADINPUT0000001", Name=marker("converted_lead_without_converted_date"),
                     ConvertedDate="")
    write(pd.concat([leads, row]), export, "Lead")


def _sql_in_values(export: Path) -> None:
    opportunities = read(export, "Opportunity")
    opportunities.loc[: len(SQL_VALUES) - 1, "Name"] = SQL_VALUES
    write(opportunities, export, "Opportunity")


def _extra_columns(columns: dict[str, str]) -> Callable[[Path], None]:
    def damage(export: Path) -> None:
        write(read(export, "Opportunity").assign(**columns), export, "Opportunity")
    return damage


def _sql_in_file_names(export: Path) -> Path:
    """The export moves into a folder whose name is SQL, beside a file named by SQL (not an object)."""
    folder = export.with_name(SQL_FOLDER)
    export.rename(folder)
    (folder / f"{INJECTION}.csv").write_text(f"Id,Name\n006000000000001AAA,{INJECTION}\n")
    return folder


def _missing(export: Path) -> Path:
    return export / "no such export"


def _truncated_last_line(export: Path) -> None:
    """The file stops in its last record, after its first four fields, as an interrupted download does."""
    lines = (export / "EmailMessage.csv").read_text().splitlines()
    assert not any('"' in line for line in lines)  # one line per record: the cut one is the last line
    (export / "EmailMessage.csv").write_text("\n".join(lines[:-1] + [",".join(lines[-1].split(",")[:4])]))


def _in_run(run: str, cases: list[Case]) -> list[Case]:
    return [replace(case, run=run) for case in cases]


QUARANTINE_CASES = [
    Case("negative_amount", "an opportunity with Amount -1500",
         _add_opportunity("negative_amount", Amount="-1500.00"),
         Quarantined("opportunity", "amount_not_negative")),
    Case("probability_150", "an opportunity with Probability 150",
         _add_opportunity("probability_150", Probability="150"),
         Quarantined("opportunity", "probability_between_0_and_100")),
    Case("unknown_stage_name", "an opportunity in a stage the org never configured",
         _add_opportunity("unknown_stage_name", StageName="Verbal Yes"),
         Quarantined("opportunity", "stage_name_configured")),
    Case("owner_does_not_exist", "an opportunity owned by a user who is not in User.csv",
         _add_opportunity("owner_does_not_exist", OwnerId="005000000000000AAA"),
         Quarantined("opportunity", "owner_id_exists")),
    Case("account_does_not_exist", "an opportunity of an account that is not in Account.csv",
         _add_opportunity("account_does_not_exist", AccountId="001000000000000AAA"),
         Quarantined("opportunity", "account_id_exists")),
    Case("future_created_date", "an opportunity created a month after the as-of date",
         _add_opportunity("future_created_date", CreatedDate="2026-12-20T09:00:00.000Z"),
         Quarantined("opportunity", "created_date_not_after_as_of")),
    Case("close_date_in_9999", "an opportunity closing on 9999-12-31",
         _add_opportunity("close_date_in_9999", CloseDate="9999-12-31"),
         Quarantined("opportunity", "close_date_within_a_sane_window")),
    Case("close_date_in_1900", "an opportunity closing on 1900-01-01",
         _add_opportunity("close_date_in_1900", CloseDate="1900-01-01"),
         Quarantined("opportunity", "close_date_within_a_sane_window")),
    Case("null_id", "an opportunity without an Id",
         _add_opportunity("null_id", Id=""), Quarantined("opportunity", "id_not_null")),
    Case("malformed_id", "an opportunity whose Id is not shaped like a Salesforce Id",
         _add_opportunity("malformed_id", Id="006-not-an-id!"),
         Quarantined("opportunity", "id_shaped_like_a_salesforce_id")),
    Case("null_close_date", "an opportunity without a CloseDate (a field the KPIs need)",
         _add_opportunity("null_close_date", CloseDate=""),
         Quarantined("opportunity", "close_date_required", says=("Opportunity.csv line {line}",))),
    Case("converted_lead_without_converted_date", "a lead converted without a ConvertedDate",
         _converted_lead_without_converted_date, Quarantined("lead", "converted_lead_has_converted_date")),
    Case("text_in_amount", "an opportunity with Amount 'twelve hundred'",
         _add_opportunity("text_in_amount", Amount="twelve hundred"),
         Quarantined("opportunity", "record_parses", says=(
             "Opportunity.csv line {line}: column Amount: 'twelve hundred' breaks the rule 'Amount must be a number",))),
    Case("abc_in_close_date", "an opportunity with CloseDate 'abc'",
         _add_opportunity("abc_in_close_date", CloseDate="abc"),
         Quarantined("opportunity", "record_parses", says=(
             "Opportunity.csv line {line}: column CloseDate: 'abc' breaks the rule "
             "'CloseDate must be a date (YYYY-MM-DD)'",))),
    Case("truncated_last_line", "EmailMessage.csv cut off in the middle of its last record",
         _truncated_last_line,
         Quarantined("email_message", "id_not_null, record_parses", cut_file="EmailMessage.csv", says=(
             "EmailMessage.csv line {line}: Expected Number of Columns: 21 Found: 4",
             "rule: a record has as many fields as the header and closes every quote it opens",
             "the record: 02s"))),
    Case("sql_in_values", "opportunity names that try to break out of SQL: quote, double quote, backslash",
         _sql_in_values, Stored("opportunity", {"name": SQL_VALUES})),
    Case("extra_unknown_column", "a custom field Region__c the pipeline does not model",
         _extra_columns({"Region__c": "EMEA"}), Stored("opportunity", {"region_c": ("EMEA",)})),
    Case("sql_in_column_names", "extra columns named by SQL, a double quote and a backslash",
         _extra_columns({name: name for name in SQL_COLUMNS}),
         Stored("opportunity", {column: (name,) for name, column in SQL_COLUMNS.items()})),
    Case("sql_in_file_names", "the export in a folder named by SQL, beside a CSV file named by SQL",
         _sql_in_file_names, Loaded(("Opportunity.csv", "Lead.csv"), (f"{INJECTION}.csv",))),
]


def _empty(name: str) -> Callable[[Path], None]:
    def damage(export: Path) -> None:
        (export / f"{name}.csv").write_bytes(b"")
    return damage


def _binary_event_file(export: Path) -> None:
    (export / "Event.csv").write_bytes(random.Random(7).randbytes(4096))


def _us_dates(name: str, column: str) -> Callable[[Path], None]:
    """Every date of the column written as another CRM's CSV writes them: MM/DD/YYYY."""
    def damage(export: Path) -> None:
        frame = read(export, name)
        frame[column] = pd.to_datetime(frame[column]).dt.strftime("%m/%d/%Y")
        write(frame, export, name)
    return damage


def _empty_values(name: str, column: str, every: int) -> Callable[[Path], None]:
    """The column left empty in every `every`-th record, from the first on, as an export of
    another CRM leaves fields it does not have."""
    def damage(export: Path) -> None:
        frame = read(export, name)
        frame.loc[frame.index % every == 0, column] = ""
        write(frame, export, name)
    return damage


def _drop_lead_is_converted(export: Path) -> None:
    write(read(export, "Lead").drop(columns=["IsConverted"]), export, "Lead")


def _rename_campaign_name(export: Path) -> None:
    write(read(export, "Campaign").rename(columns={"Name": "Campaign Name"}), export, "Campaign")


def _one_contact_line_in_windows_1252(export: Path) -> None:
    """A UTF-8 file (with a UTF-8 'ë' on line 3) with one record (line 6) written in Windows-1252:
    no single encoding reads it."""
    lines = (export / "Contact.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    fields = lines[2].split(",")
    lines[2] = ",".join(fields[:3] + ["Zoë"] + fields[4:])
    fields = lines[5].split(",")
    lines[5] = ",".join(fields[:3] + ["Müller"] + fields[4:])  # its LastName
    (export / "Contact.csv").write_bytes(b"".join(
        line.encode("cp1252" if number == 5 else "utf-8") for number, line in enumerate(lines)))


def _header_only_contact_file(export: Path) -> None:
    write(read(export, "Contact").head(0), export, "Contact")


def _duplicate_lead_ids(export: Path) -> None:
    leads = read(export, "Lead")
    write(pd.concat([leads, leads.head(3)]), export, "Lead")


def _account_ids_twice_with_newer_modstamp(export: Path) -> None:
    """Two accounts appear twice: the second copy renamed, with a SystemModstamp a day later."""
    accounts = read(export, "Account")
    stamps = pd.to_datetime(accounts["SystemModstamp"].head(2)) + pd.Timedelta(days=1)
    newer = accounts.head(2).assign(Name=accounts["Name"].head(2) + " (renamed)",
                                    SystemModstamp=stamps.dt.strftime("%Y-%m-%dT%H:%M:%S.000Z"))
    write(pd.concat([accounts, newer]), export, "Account")


def _not_an_export(export: Path) -> Path:
    folder = export.with_name("holiday photos")
    folder.mkdir()
    (folder / "README.md").write_text("# Holiday 2026\n")
    (folder / "beach.jpg").write_bytes(random.Random(3).randbytes(2048))
    return folder


def _account_file_in_windows_1252(export: Path) -> None:
    """Account.csv as Excel on Windows saves it (Windows-1252), Lead.csv as UTF-8 with a BOM."""
    accounts = read(export, "Account")
    accounts.loc[4, "Name"] = "Müller & Söhne GmbH"
    accounts.to_csv(export / "Account.csv", index=False, encoding="cp1252")
    read(export, "Lead").to_csv(export / "Lead.csv", index=False, encoding="utf-8-sig")


CASES: list[Case] = _in_run("quarantine", QUARANTINE_CASES) + _in_run("broken_files", [
    Case("every_close_date_in_another_format", "OpportunityHistory.csv with every CloseDate as MM/DD/YYYY",
         _us_dates("OpportunityHistory", "CloseDate"),
         HeldBack(("validated/opportunity_history · expectations", "record_parses on",
                   "[\"OpportunityHistory.csv line 2: column CloseDate:",
                   "breaks the rule 'CloseDate must be a date (YYYY-MM-DD)'"))),
    Case("close_dates_empty", "Opportunity.csv with every tenth CloseDate empty",
         _empty_values("Opportunity", "CloseDate", every=10),
         HeldBack(("validated/opportunity · expectations", "close_date_required on",
                   "'Opportunity.csv line 2: close_date is empty', 'Opportunity.csv line 12: close_date is empty'"))),
    Case("empty_file", "Task.csv of zero bytes (an optional object)", _empty("Task"),
         HeldBack(("Task.csv", "is empty"))),
    Case("binary_file", "Event.csv holding binary data", _binary_event_file,
         HeldBack(("Event.csv", "is neither UTF-8 nor Windows-1252 text"))),
    Case("missing_required_column", "Lead.csv without its IsConverted column", _drop_lead_is_converted,
         HeldBack(("Lead.csv", "required column(s) IsConverted missing", "rule: Lead needs"))),
    Case("renamed_column", "Campaign.csv with Name renamed to 'Campaign Name'", _rename_campaign_name,
         HeldBack(("Campaign.csv", "required column(s) Name missing", "rule: Campaign needs"))),
    Case("mixed_encodings_in_one_file", "Contact.csv in UTF-8 with one line in Windows-1252",
         _one_contact_line_in_windows_1252, HeldBack(("Contact.csv", "line 6 is not UTF-8", "mixes UTF-8 with another encoding"))),
]) + _in_run("whole_files", [
    Case("zero_byte_opportunity_file", "Opportunity.csv of zero bytes", _empty("Opportunity"),
         HeldBack(("Opportunity.csv", "is empty"))),
    Case("header_only_file", "Contact.csv with its header and no records", _header_only_contact_file,
         HeldBack(("raw/contact · volume", "Contact has 0 rows", "looks partial"))),
    Case("duplicate_ids", "three Lead records twice", _duplicate_lead_ids,
         HeldBack(("validated/lead · expectations", "id_unique on 6 rows"))),
    Case("duplicate_ids_with_different_system_modstamp", "two accounts twice, the copies a day newer",
         _account_ids_twice_with_newer_modstamp,
         HeldBack(("validated/account · expectations", "id_unique on 4 rows"))),
]) + [
    Case("stale_export", "an export three days older than the as-of date", lambda export: None,
         HeldBack(("raw/opportunity · freshness", "Opportunity is stale")),
         covered_by="tests/quality/test_quality_gate.py::test_a_stale_export_is_held_back_by_the_freshness_check"),
    Case("not_an_export", "a folder of holiday photos", _not_an_export,
         HeldBack(("holiday photos", "not a Salesforce export", "User"), exit_code=2)),
    Case("path_does_not_exist", "a --source that does not exist", _missing,
         HeldBack(("no such export", "no such export folder"), exit_code=2)),
    Case("mixed_encodings_across_files", "Account.csv in Windows-1252, Lead.csv in UTF-8 with a BOM",
         _account_file_in_windows_1252, Stored("account", {"name": ("Müller & Söhne GmbH",)})),
]
