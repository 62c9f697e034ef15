"""Vetting and compiling the SQL expressions of a mapping.

An expression computes one field from one row of its file: column names, literals, operators,
CASE, CAST, COALESCE and a whitelist of scalar functions. Everything else is refused by the type of
its node in sqlglot's syntax tree, so the check does not depend on spelling: subqueries, statements,
aggregates, table functions (`read_csv`), functions that read the machine (`getenv`) or the clock
(`now()`, which would make the output differ between runs), placeholders and `*`. The run's as-of
date is there instead, as `as_of_date()`: an input of the run like the export itself, so the same
export converted for the same day gives the same records. Vetted trees are
regenerated as DuckDB SQL with every identifier quoted; no text of the mapping reaches DuckDB
unparsed.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from orchestration.mapping import ids
from orchestration.mapping.errors import did_you_mean

DIALECT = "duckdb"  # expressions are written in DuckDB's SQL, the engine that runs them

# The scalar functions an expression may call, by the name users write (for the docs and errors)
# and the sqlglot node they parse into.
FUNCTIONS: dict[str, type[exp.Expression]] = {
    # text
    "lower": exp.Lower, "upper": exp.Upper, "trim": exp.Trim, "ltrim": exp.Trim, "rtrim": exp.Trim,
    "length": exp.Length, "substring": exp.Substring, "substr": exp.Substring, "left": exp.Left,
    "right": exp.Right, "replace": exp.Replace, "concat": exp.Concat, "concat_ws": exp.ConcatWs,
    "split_part": exp.SplitPart, "regexp_replace": exp.RegexpReplace, "regexp_matches": exp.RegexpLike,
    "regexp_extract": exp.RegexpExtract, "starts_with": exp.StartsWith, "ends_with": exp.EndsWith,
    "contains": exp.Contains, "strpos": exp.StrPosition, "lpad": exp.Pad, "rpad": exp.Pad,
    # choosing values
    "coalesce": exp.Coalesce, "ifnull": exp.Coalesce, "nullif": exp.Nullif, "greatest": exp.Greatest,
    "least": exp.Least, "if": exp.If,
    # numbers
    "abs": exp.Abs, "round": exp.Round, "floor": exp.Floor, "ceil": exp.Ceil, "sign": exp.Sign,
    # dates and times
    "strptime": exp.StrToTime, "strftime": exp.TimeToStr, "make_date": exp.DateFromParts,
    "date_trunc": exp.TimestampTrunc, "date_diff": exp.DateDiff, "last_day": exp.LastDay,
    "extract": exp.Extract, "year": exp.Year, "quarter": exp.Quarter, "month": exp.Month, "day": exp.Day,
}
# Functions sqlglot does not know by a node of their own.
NAMED_FUNCTIONS = {"salesforce_id", "as_of_date"}
# What `as_of_date()` compiles to: a macro each conversion's connection defines as its as-of date
# (sources.connect). Users cannot call it directly: only `as_of_date` is on the whitelist.
AS_OF_FUNCTION = "__crm_mapping_as_of"

# Nodes that are not function calls: column references, literals, operators, CASE and casts.
_OPERATORS = (
    exp.Column, exp.Identifier, exp.Literal, exp.Boolean, exp.Null, exp.Paren, exp.Neg, exp.Not,
    exp.And, exp.Or, exp.Add, exp.Sub, exp.Mul, exp.Div, exp.IntDiv, exp.Mod, exp.DPipe, exp.EQ,
    exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ, exp.NullSafeNEQ, exp.Is, exp.In,
    exp.Between, exp.Like, exp.ILike, exp.Case, exp.If, exp.Cast, exp.TryCast, exp.DataType,
    exp.DataTypeParam, exp.Interval,
)
_ALLOWED = frozenset(_OPERATORS) | frozenset(FUNCTIONS.values())
# A bare word (`day` in `interval 1 day`, `month` in date_trunc) is a unit only under these nodes.
_UNIT_PARENTS = (exp.Interval, exp.Extract, exp.TimestampTrunc, exp.DateDiff)
_CAST_TYPES = {
    exp.DataType.Type.VARCHAR, exp.DataType.Type.TEXT, exp.DataType.Type.CHAR, exp.DataType.Type.BOOLEAN,
    exp.DataType.Type.TINYINT, exp.DataType.Type.SMALLINT, exp.DataType.Type.INT, exp.DataType.Type.BIGINT,
    exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT,
    exp.DataType.Type.DECIMAL, exp.DataType.Type.DATE, exp.DataType.Type.TIMESTAMP,
    exp.DataType.Type.TIME, exp.DataType.Type.INTERVAL,
}
_KIND_NAMES = {
    exp.Subquery: "a subquery", exp.Select: "a subquery", exp.Exists: "a subquery (EXISTS)",
    exp.Star: "*", exp.Placeholder: "a parameter placeholder",
    exp.Window: "a window function", exp.Lambda: "a lambda", exp.Dot: "a dotted path",
}
# Functions whose value changes from run to run: a mapping must give the same output every time.
_VOLATILE = (exp.CurrentDate, exp.CurrentTimestamp, exp.CurrentTime, exp.Rand, exp.Uuid)
_VOLATILE_NAMES = {"now", "today", "get_current_timestamp", "random", "gen_random_uuid", "uuid"}


class ExpressionError(ValueError):
    """The expression's text is refused; the message names the rule."""


@dataclass(frozen=True)
class Vetted:
    tree: exp.Expression
    columns: tuple[exp.Column, ...]  # every column reference, to check against the file's header

    def sql(self) -> str:
        return compile_tree(self.tree)


def _snippet(node: exp.Expression) -> str:
    text = node.sql(DIALECT)
    return text if len(text) <= 60 else text[:57] + "..."


def _function_name(node: exp.Expression) -> str:
    return (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()


def _refusal(node: exp.Expression) -> str | None:
    """Why `node` may not appear in an expression, or None if it may."""
    volatile_name = isinstance(node, exp.Anonymous) and node.name.lower() in _VOLATILE_NAMES
    if isinstance(node, _VOLATILE) or volatile_name:
        return (f"{_function_name(node)} is not allowed: it changes between runs, and a mapping must "
                "convert the same export to the same records every time")
    if isinstance(node, exp.Anonymous):
        if node.name.lower() in NAMED_FUNCTIONS:
            return None
        return _not_whitelisted(node.name.lower())
    if isinstance(node, exp.Var):
        return None if isinstance(node.parent, _UNIT_PARENTS) else f"{node.name!r} is not a column or a value"
    if type(node) in _ALLOWED:
        if isinstance(node, exp.DataType) and node.this not in _CAST_TYPES:
            return (f"cast to {_snippet(node)} is not allowed "
                    "(cast to text, numbers, boolean, dates, timestamps)")
        if isinstance(node, exp.In) and node.args.get("query") is not None:
            return "a subquery is not allowed (IN takes a list of values)"
        return None
    if isinstance(node, exp.Alias):  # `Closed Won` parses as `Closed AS Won`
        return (f"an alias is not allowed ({_snippet(node)}): a text value needs quotes "
                f"('{node.this.sql()} {node.alias}'), or goes under constants:")
    kind = next((name for cls, name in _KIND_NAMES.items() if isinstance(node, cls)), None)
    if kind:
        return f"{kind} is not allowed ({_snippet(node)})"
    if isinstance(node, exp.AggFunc):
        return f"aggregate {_function_name(node)}() is not allowed: an expression sees one row"
    if isinstance(node, exp.Func):
        return _not_whitelisted(_function_name(node))
    return f"{type(node).__name__} is not allowed ({_snippet(node)})"


def _not_whitelisted(name: str) -> str:
    return (f"function {name}() is not allowed: only the scalar functions listed in docs/mapping.md "
            f"may be called{did_you_mean(name, allowed_functions())}")


def _check_salesforce_id(node: exp.Anonymous) -> None:
    args = node.expressions
    prefix = args[0] if args else None
    if len(args) < 2 or not (isinstance(prefix, exp.Literal) and prefix.is_string
                             and ids.is_key_prefix(prefix.this)):
        raise ExpressionError(
            "salesforce_id takes a 3-character key prefix in quotes, then the key column(s): "
            "salesforce_id('006', opportunity_id)"
        )


def _check_as_of_date(node: exp.Anonymous) -> None:
    if node.expressions:
        raise ExpressionError("as_of_date() takes no arguments: it is the run's as-of date, "
                              "e.g. coalesce(engage_date, as_of_date())")


def vet(text: str) -> Vetted:
    """Parse and vet one expression; ExpressionError says what is wrong."""
    if not text.strip():
        raise ExpressionError("is empty")
    try:
        statements = sqlglot.parse(text, read=DIALECT)
    except (sqlglot.ParseError, sqlglot.TokenError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise ExpressionError(f"does not parse as SQL: {first}") from None
    statements = [s for s in statements if s is not None]
    if len(statements) != 1:
        raise ExpressionError("must be one SQL expression, not several statements")
    tree = statements[0]
    for node in tree.walk():
        reason = _refusal(node)
        if reason:
            raise ExpressionError(reason)
        if isinstance(node, exp.Anonymous):
            (_check_as_of_date if node.name.lower() == "as_of_date" else _check_salesforce_id)(node)
    return Vetted(tree, tuple(tree.find_all(exp.Column)))


def uses_as_of_date(vetted: Vetted) -> bool:
    """Whether the expression reads the run's as-of date (so a conversion must be given one)."""
    return any(node.name.lower() == "as_of_date" for node in vetted.tree.find_all(exp.Anonymous))


def salesforce_id_prefix(vetted: Vetted) -> str | None:
    """The key prefix when the whole expression is one `salesforce_id(...)` call."""
    tree = vetted.tree
    if isinstance(tree, exp.Anonymous) and tree.name.lower() == "salesforce_id":
        return tree.expressions[0].this
    return None


def compile_tree(tree: exp.Expression) -> str:
    """DuckDB SQL for a vetted tree, identifiers quoted, `salesforce_id` and `as_of_date` bound to
    their functions."""

    def bind(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Anonymous) and node.name.lower() == "as_of_date":
            return exp.Anonymous(this=AS_OF_FUNCTION, expressions=[])
        if isinstance(node, exp.Anonymous) and node.name.lower() == "salesforce_id":
            prefix, *parts = node.expressions
            key = exp.Array(expressions=[exp.cast(part.copy(), exp.DataType.Type.VARCHAR) for part in parts])
            return exp.Anonymous(this=ids.SQL_FUNCTION, expressions=[prefix.copy(), key])
        return node

    return tree.copy().transform(bind).sql(dialect=DIALECT, identify=True)


def allowed_functions() -> list[str]:
    return sorted({*FUNCTIONS, *NAMED_FUNCTIONS})
