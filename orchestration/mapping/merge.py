"""One record per Id: an object's records from all its mappings, checked and merged.

An object mapped more than once can get the same record from several mappings: a rep who is the
SDR on some deals and the closer on others, mapped with one `User` mapping per column, is one
person, so one User. The rules (docs/mapping.md, "One record per Id"):

- every record has an Id;
- within one mapping, Ids are unique (`distinct: true` writes identical rows once); a repeat means
  the mapping keys its records by a column that is not unique, and is an error;
- across mappings, the records that share an Id are one record, written once. Each field takes its
  value from the mappings that map it; where several map it, they must give the same value (NULL
  included). Records that really conflict are an error naming both mappings, the fields that
  differ and example Ids with both values.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import duckdb

from data_quality.sql import quote_ident
from orchestration.mapping.build import CompiledEntry
from orchestration.mapping.errors import Problems

_EXAMPLES = 3


@dataclass
class _Conflict:
    """Records two mappings give for the same Ids, with different values."""

    ids: int = 0
    fields: dict[str, None] = field(default_factory=dict)  # an ordered set
    examples: list[str] = field(default_factory=list)


def _shown(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dt.date):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    return repr(value) if isinstance(value, str) else str(value)


def _stage(con, name: str, parts: list[tuple[CompiledEntry, str]]) -> str:
    """A temp table of every record of the object, with the mapping (`_entry`) and position
    (`_seq`: mapping order, then the order of its file) each came from."""
    staged = quote_ident(f"_all_{name}")
    union = " union all ".join(f"select {entry.index} as _entry, * from ({select})" for entry, select in parts)
    con.execute(f"create or replace temp table {staged} as "
                f"select *, row_number() over (order by _entry, _row) as _seq from ({union})")
    return staged


def _check_ids(con, name: str, staged: str, labels: dict[int, str], problems: Problems) -> bool:
    """Every record has an Id, and no mapping gives one Id twice; False after adding problems."""
    found = len(problems.items)
    missing = con.execute(f'select count(*) from {staged} where "Id" is null').fetchall()[0][0]
    if missing:
        problems.add(f"{name}.Id", f"{missing} record(s) have no Id (their key is empty); "
                     "every record needs one")
    repeats = con.execute(
        f'select _entry, "Id", count(*) from {staged} where "Id" is not null group by all '
        f'having count(*) > 1 order by 1, 3 desc, 2').fetchall()
    by_entry: dict[int, list[str]] = defaultdict(list)
    for entry, record_id, count in repeats:
        by_entry[entry].append(f"{record_id} ({count} records)")
    for entry, examples in by_entry.items():
        problems.add(f"{labels[entry]}.Id", f"Ids must be unique, but several records share one: "
                     f"{', '.join(examples[:_EXAMPLES])}; key each record by a column that is unique, "
                     "or use distinct: true")
    return len(problems.items) == found


def _conflicts(con, staged: str, parts, output: list[str], problems: Problems) -> None:
    """Add a problem per pair of mappings that give one Id with different values of a field both map."""
    labels = {entry.index: entry.label for entry, _ in parts}
    maps = {entry.index: set(entry.spec.mapped_fields()) for entry, _ in parts}
    columns = ", ".join(quote_ident(f) for f in output)
    rows = con.execute(
        f'select _entry, {columns} from {staged} where "Id" in (select "Id" from {staged} '
        f'where "Id" is not null group by "Id" having count(distinct _entry) > 1) order by "Id", _seq'
    ).fetchall()
    records: dict[str, list[tuple[int, dict]]] = defaultdict(list)
    for entry, *values in rows:
        record = dict(zip(output, values, strict=True))
        records[record["Id"]].append((entry, record))
    conflicts: dict[tuple[int, int], _Conflict] = defaultdict(_Conflict)
    for record_id, given in records.items():
        for i, (a, first) in enumerate(given):
            for b, second in given[i + 1:]:
                differ = [f for f in output if f in maps[a] & maps[b] and first[f] != second[f]]
                if not differ:
                    continue
                conflict = conflicts[(a, b)]
                conflict.ids += 1
                conflict.fields.update(dict.fromkeys(differ))
                if len(conflict.examples) < _EXAMPLES:
                    name = f" (Name {_shown(first['Name'])})" if first.get("Name") is not None else ""
                    values = "; ".join(f"{f} {_shown(first[f])} vs {_shown(second[f])}" for f in differ)
                    conflict.examples.append(f"Id {record_id}{name}: {values}")
    for (a, b), conflict in conflicts.items():
        problems.add(f"{labels[a]} and {labels[b]}", (
            f"{conflict.ids} record(s) with the same Id differ in {', '.join(conflict.fields)}; a record "
            "that several mappings give is written once, so every field both map must agree (make the "
            f"values agree, or key the records apart), e.g. {' | '.join(conflict.examples)}"))


def _merged(parts, output: list[str]) -> str:
    """A select of one record per Id: each field from the first mapping that maps it."""
    selects = []
    for name in output:
        mappers = ", ".join(str(entry.index) for entry, _ in parts if name in entry.spec.mapped_fields())
        column = quote_ident(name)
        value = column if name == "Id" else f"first({column} order by _seq) filter (where _entry in ({mappers}))"
        selects.append(f"{value} as {column}")
    return f"select {', '.join(selects)}"


def one_record_per_id(con: duckdb.DuckDBPyConnection, name: str, parts: list[tuple[CompiledEntry, str]],
                      output: list[str], table: str, problems: Problems) -> None:
    """Create `table` with the object's records, one per Id, from its mappings' typed selects
    (`parts`: each mapping with its select of `output` and `_row`), or add why it cannot be made."""
    staged = _stage(con, name, parts)
    found = len(problems.items)
    if _check_ids(con, name, staged, {entry.index: entry.label for entry, _ in parts}, problems) and len(parts) > 1:
        _conflicts(con, staged, parts, output, problems)
    if len(problems.items) > found:
        return
    if len(parts) == 1:
        select = f"select {', '.join(quote_ident(f) for f in output)} from {staged} order by _seq"
    else:
        select = f'{_merged(parts, output)} from {staged} group by "Id" order by min(_seq)'
    con.execute(f"create or replace temp table {table} as {select}")
    con.execute(f"drop table {staged}")
