"""CSV lines built by PostgreSQL: the export's rows leave the database already written.

What Python's `csv.writer` and the export's formula guard did per cell, written as SQL: a text
cell a spreadsheet would take for a formula (=, +, -, @, tab or carriage return first) gets an
apostrophe in front; free text is always quoted, its quotes doubled (testing each cell for a
comma, quote or line break with a pattern cost more than quoting it); numbers, ids, times and
fixed words are written bare; NULL is an empty cell. Building a line per row in the database
keeps an export of a Year-3 school's term (2,450 analyses, 19 cells each) from spending its
time converting and formatting cells in Python one by one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Numeric,
    SQLColumnExpression,
    Text,
    any_,
    case,
    cast,
    func,
    literal,
)
from sqlalchemy.dialects.postgresql import array

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def guarded(value: SQLColumnExpression[Any]) -> ColumnElement[str]:
    """A text cell: empty for NULL; an apostrophe before a formula's first character."""
    text = func.coalesce(cast(value, Text), literal(""))
    # `= ANY (ARRAY[...])`, not IN: an IN list is filled in by SQLAlchemy at execution, and
    # the export's statement is compiled once and run by asyncpg (core/scoped_statements).
    formula = func.left(text, 1) == any_(array(FORMULA_START))
    return case((formula, literal("'") + text), else_=text)


def quoted(cell: ColumnElement[str]) -> ColumnElement[str]:
    """Free text as a CSV cell: in double quotes, those inside doubled."""
    return '"' + func.replace(cell, '"', '""') + '"'


def text_cell(value: SQLColumnExpression[Any]) -> ColumnElement[str]:
    """Free text, guarded against formulas and quoted."""
    return quoted(guarded(value))


def fixed(value: SQLColumnExpression[Any], places: int) -> ColumnElement[str]:
    """A number with `places` decimals (a tie rounded away from zero, as numeric rounds)."""
    return cast(func.round(cast(value, Numeric), places), Text)


def line(*cells: SQLColumnExpression[Any]) -> ColumnElement[str]:
    """One CSV line (without its line end) of `cells`, each already written as a cell."""
    return func.concat_ws(",", *cells)
