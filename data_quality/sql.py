"""SQL text the checks build: identifiers always quoted, so no table or column name is read as SQL."""


def quote_ident(name: str) -> str:
    """A SQL identifier, quoted so that no column or file name is ever read as SQL."""
    return '"' + name.replace('"', '""') + '"'


def sql_string(value: str) -> str:
    """A SQL string literal (for where DuckDB takes no parameter, e.g. a view's file path)."""
    return "'" + value.replace("'", "''") + "'"
