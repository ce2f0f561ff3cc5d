"""CSV lines built by PostgreSQL: the export's rows leave the database already written.

What Python's `csv.writer` (QUOTE_MINIMAL, "\\r\\n" line ends) and the export's formula guard
did per cell, written as SQL: a text cell a spreadsheet would take for a formula (=, +, -, @,
tab or carriage return first) gets an apostrophe in front; a cell holding a comma, a double
quote or a line break is quoted, its quotes doubled; NULL is an empty cell. Building a line
per row in the database keeps an export of a Year-3 school's term (2,500 analyses, 19 cells
each) from spending its time converting and formatting cells in Python one by one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Numeric, SQLColumnExpression, Text, case, cast, func, literal

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A character class of what makes csv quote a cell: the delimiter, the quote, line ends.
NEEDS_QUOTES = '[,"\r\n]'


def guarded(value: SQLColumnExpression[Any]) -> ColumnElement[str]:
    """A text cell: empty for NULL; an apostrophe before a formula's first character."""
    text = func.coalesce(cast(value, Text), literal(""))
    return case((func.left(text, 1).in_(FORMULA_START), literal("'") + text), else_=text)


def quoted(cell: ColumnElement[str]) -> ColumnElement[str]:
    """`cell` as csv writes it: in double quotes (doubled inside) when it needs them."""
    return case(
        (cell.op("~")(literal(NEEDS_QUOTES)), '"' + func.replace(cell, '"', '""') + '"'),
        else_=cell,
    )


def fixed(value: SQLColumnExpression[Any], places: int) -> ColumnElement[str]:
    """A number with `places` decimals (a tie rounded away from zero, as numeric rounds)."""
    return cast(func.round(cast(value, Numeric), places), Text)


def line(*cells: ColumnElement[Any]) -> ColumnElement[str]:
    """One CSV line (without its line end) of `cells`, each already a text cell."""
    return func.concat_ws(",", *(quoted(cell) for cell in cells))
