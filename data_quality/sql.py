"""SQL text the checks build: identifiers always quoted, so no table or column name is read as SQL."""


def quote_ident(name: str) -> str:
    """A SQL identifier, quoted so that no column or file name is ever read as SQL."""
    return '"' + name.replace('"', '""') + '"'
