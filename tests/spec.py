"""Reads the schema specification (Prisma blocks and the SQL index section) into plain data."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED_SPEC = ROOT.parent / "shared" / "spec" / "database-schema.md"
# A copy kept in the repository so a clone outside the workspace still has the spec;
# test_vendored_spec_is_current proves it matches the shared one wherever both exist.
VENDORED_SPEC = ROOT / "docs" / "database-schema.md"

TABLES = {
    "District": "districts",
    "School": "schools",
    "User": "users",
    "Student": "students",
    "Class": "classes",
    "ClassEnrollment": "class_enrollments",
    "Analysis": "analyses",
    "AnalysisConversation": "analysis_conversations",
    "AuditLog": "audit_logs",
}
SCALARS = {
    "String": "text",
    "Int": "integer",
    "Float": "double precision",
    "Boolean": "boolean",
    "DateTime": "timestamp with time zone",
    "Json": "jsonb",
}


def snake(name: str) -> str:
    """camelCase to snake_case, as the spec's SQL section names columns."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@dataclass
class Column:
    name: str
    sql_type: str  # information_schema data_type, or the enum type name
    nullable: bool
    is_enum: bool = False


@dataclass
class ForeignKey:
    column: str
    table: str
    on_delete: str  # "CASCADE" or "NO ACTION"


@dataclass
class Table:
    name: str
    columns: dict[str, Column] = field(default_factory=dict)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    indexes: list[tuple[str, ...]] = field(default_factory=list)
    uniques: list[tuple[str, ...]] = field(default_factory=list)


@dataclass
class Spec:
    enums: dict[str, list[str]]
    tables: dict[str, Table]
    sql_indexes: dict[str, str]  # name -> normalised definition


def spec_text() -> str:
    """The specification's text, from shared/ when present, else the vendored copy."""
    path = SHARED_SPEC if SHARED_SPEC.exists() else VENDORED_SPEC
    return path.read_text(encoding="utf-8")


def normalise_index_sql(sql: str) -> str:
    """One spelling for an index definition, whether from the spec or from pg_indexes."""
    sql = sql.lower().rstrip(";")
    sql = sql.replace("public.", "").replace(" using btree", "")
    sql = re.sub(r"where \((.*)\)$", r"where \1", sql)
    return re.sub(r"\s+", "", sql)


def _columns(spec: str) -> list[str]:
    return [snake(c.strip()) for c in spec.split(",") if c.strip()]


def parse(text: str) -> Spec:
    """Parse enums, models and the "Search & Filtering Indexes" SQL of the spec."""
    enums: dict[str, list[str]] = {}
    for name, body in re.findall(r"enum (\w+) \{(.*?)\}", text, re.S):
        enums[name] = [
            line.split("//")[0].strip() for line in body.splitlines() if line.split("//")[0].strip()
        ]
    tables: dict[str, Table] = {}
    for model, body in re.findall(r"model (\w+) \{(.*?)\n\}", text, re.S):
        table = Table(TABLES[model])
        for raw_line in body.splitlines():
            line = raw_line.split("//")[0].strip()
            if not line:
                continue
            if line.startswith("@@index"):
                table.indexes.append(tuple(_columns(re.search(r"\[(.*?)\]", line)[1])))
                continue
            if line.startswith("@@unique"):
                table.uniques.append(tuple(_columns(re.search(r"\[(.*?)\]", line)[1])))
                continue
            name, type_, *rest = line.split(None, 2)
            attrs = rest[0] if rest else ""
            base = type_.rstrip("?[]")
            if type_.endswith("[]") or base in TABLES:
                relation = re.search(r"fields: \[(\w+)\].*?references: \[(\w+)\]", attrs)
                if relation:
                    on_delete = "CASCADE" if "onDelete: Cascade" in attrs else "NO ACTION"
                    table.foreign_keys.append(
                        ForeignKey(snake(relation[1]), TABLES[base], on_delete)
                    )
                continue
            column = snake(name)
            nullable = type_.endswith("?")
            if base in enums:
                table.columns[column] = Column(column, snake(base), nullable, is_enum=True)
            else:
                sql_type = "text" if "@db.Text" in attrs else SCALARS[base]
                table.columns[column] = Column(column, sql_type, nullable)
            if "@unique" in attrs:
                table.uniques.append((column,))
        # The issue asks for native uuid keys: ids and the columns referencing them.
        for key in ["id", *(fk.column for fk in table.foreign_keys)]:
            table.columns[key].sql_type = "uuid"
        tables[table.name] = table
    section = text.split("### Search & Filtering Indexes", 1)[1].split("###", 1)[0]
    sql_indexes = {
        m[1]: normalise_index_sql(m[0])
        for m in re.finditer(r"CREATE INDEX (\w+) ON [^;]+;", section)
    }
    return Spec(enums, tables, sql_indexes)
