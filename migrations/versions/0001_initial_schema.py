"""Initial schema: the nine tables of the specification, chat identities, link codes.

Besides tables and indexes it installs what the models cannot express:
- `ge_fold` / `ge_sort_key`: the one definition of Hebrew-aware folding and ordering, used by
  the stored `sort_key` columns so Debian's (ICU) and the embedded (non-ICU) builds agree;
- `ge_set_updated_at`: keeps `updated_at` current for every UPDATE, raw SQL included;
- `ge_audit_logs_immutable`: refuses UPDATE, DELETE and TRUNCATE of `audit_logs`.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Hebrew points and accents (niqqud, cantillation) U+0591-U+05C7, except maqaf U+05BE, which is
# a hyphen; finals fold to their regular letters; hyphens become spaces; apostrophes, geresh and
# quotes vanish; Latin is unaccented and lower-cased in the "C" collation, so every build agrees.
FOLD_SQL = r"""
CREATE FUNCTION public.ge_fold(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT btrim(regexp_replace(
    translate(
      lower(public.unaccent('public.unaccent'::regdictionary,
            regexp_replace(normalize(value, NFC), '[\u0591-\u05BD\u05BF-\u05C7]', '', 'g'))
            COLLATE "C"),
      'ךםןףץ-־''׳״`’‘"', 'כמנפצ  '),
    '\s+', ' ', 'g'))
$$
"""

# Hebrew sorts before Latin (as in CLDR's Hebrew collation); byte order of "C" puts code points
# in order, so Latin letters are moved above the Hebrew block into the private use area.
_LATIN = "abcdefghijklmnopqrstuvwxyz"
_LATIN_ABOVE_HEBREW = "".join(chr(0xE061 + i) for i in range(26))
SORT_KEY_SQL = f"""
CREATE FUNCTION public.ge_sort_key(last_name text, first_name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT translate(
    public.ge_fold(coalesce(last_name, '') || ' ' || coalesce(first_name, '')),
    '{_LATIN}', '{_LATIN_ABOVE_HEBREW}')
$$
"""

UPDATED_AT_SQL = """
CREATE FUNCTION public.ge_set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := clock_timestamp();
  RETURN NEW;
END
$$
"""

AUDIT_IMMUTABLE_SQL = """
CREATE FUNCTION public.ge_audit_logs_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_logs is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$
"""

TABLES_WITH_UPDATED_AT = (
    "districts",
    "schools",
    "users",
    "students",
    "classes",
    "class_enrollments",
    "analyses",
    "chat_identities",
    "link_codes",
)
ENUM_TYPES = (
    "user_role",
    "auth_provider",
    "analysis_status",
    "conversation_role",
    "audit_action",
    "chat_platform",
)


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public")
    op.execute(FOLD_SQL)
    op.execute(SORT_KEY_SQL)
    op.execute(UPDATED_AT_SQL)
    op.execute(AUDIT_IMMUTABLE_SQL)
    op.create_table(
        "audit_logs",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=True),
        sa.Column("user_email", sa.Text(), nullable=True),
        sa.Column("user_role", sa.Text(), nullable=True),
        sa.Column(
            "action",
            sa.Enum(
                "CREATE",
                "READ",
                "UPDATE",
                "DELETE",
                "LOGIN",
                "LOGOUT",
                "EXPORT",
                name="audit_action",
            ),
            nullable=False,
        ),
        sa.Column("resource", sa.Text(), nullable=False),
        sa.Column("resource_id", sa.Text(), nullable=True),
        sa.Column("ip_address", sa.Text(), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("metadata", postgresql.JSONB(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("audit_logs_pkey")),
    )
    op.create_index(
        "idx_audit_logs_resource",
        "audit_logs",
        ["resource", "resource_id", sa.literal_column("created_at DESC")],
        unique=False,
    )
    op.create_index(
        "idx_audit_logs_user_date",
        "audit_logs",
        ["user_id", sa.literal_column("created_at DESC")],
        unique=False,
    )
    op.create_index("ix_audit_logs_action", "audit_logs", ["action"], unique=False)
    op.create_index("ix_audit_logs_created_at", "audit_logs", ["created_at"], unique=False)
    op.create_index("ix_audit_logs_resource_id", "audit_logs", ["resource_id"], unique=False)
    op.create_index("ix_audit_logs_user_id", "audit_logs", ["user_id"], unique=False)
    op.create_table(
        "districts",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=True),
        sa.Column("country", sa.Text(), server_default=sa.text("'IL'"), nullable=False),
        sa.Column("settings", postgresql.JSONB(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("districts_pkey")),
        sa.UniqueConstraint("code", name=op.f("districts_code_key")),
    )
    op.create_index("ix_districts_code", "districts", ["code"], unique=False)
    op.create_index("ix_districts_deleted_at", "districts", ["deleted_at"], unique=False)
    op.create_table(
        "schools",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("district_id", sa.UUID(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("principal", sa.Text(), nullable=True),
        sa.Column("settings", postgresql.JSONB(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("schools_district_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("schools_pkey")),
        sa.UniqueConstraint("code", name=op.f("schools_code_key")),
    )
    op.create_index("ix_schools_code", "schools", ["code"], unique=False)
    op.create_index("ix_schools_deleted_at", "schools", ["deleted_at"], unique=False)
    op.create_index("ix_schools_district_id", "schools", ["district_id"], unique=False)
    op.create_table(
        "students",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("first_name", sa.Text(), nullable=False),
        sa.Column("last_name", sa.Text(), nullable=False),
        sa.Column("student_id", sa.Text(), nullable=True),
        sa.Column("grade_level", sa.Text(), nullable=False),
        sa.Column("school_id", sa.UUID(), nullable=False),
        sa.Column("date_of_birth", sa.DateTime(timezone=True), nullable=True),
        sa.Column("gender", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("enrollment_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "sort_key",
            sa.Text(collation="C"),
            sa.Computed("ge_sort_key(last_name, first_name)", persisted=True),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("students_school_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("students_pkey")),
        sa.UniqueConstraint(
            "school_id", "student_id", name=op.f("students_school_id_student_id_key")
        ),
    )
    op.create_index(
        "idx_students_active",
        "students",
        ["is_active"],
        unique=False,
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_index("idx_students_name", "students", ["last_name", "first_name"], unique=False)
    op.create_index(
        "idx_students_school_grade", "students", ["school_id", "grade_level"], unique=False
    )
    op.create_index("ix_students_deleted_at", "students", ["deleted_at"], unique=False)
    op.create_index("ix_students_grade_level", "students", ["grade_level"], unique=False)
    op.create_index("ix_students_school_id", "students", ["school_id"], unique=False)
    op.create_index(
        "ix_students_school_sort_key", "students", ["school_id", "sort_key"], unique=False
    )
    op.create_table(
        "users",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column(
            "role", sa.Enum("TEACHER", "PRINCIPAL", "ADMIN", name="user_role"), nullable=False
        ),
        sa.Column(
            "auth_provider",
            sa.Enum("EMAIL", "GOOGLE", "MICROSOFT", name="auth_provider"),
            server_default=sa.text("'EMAIL'"),
            nullable=False,
        ),
        sa.Column("provider_id", sa.Text(), nullable=True),
        sa.Column("first_name", sa.Text(), nullable=False),
        sa.Column("last_name", sa.Text(), nullable=False),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("avatar", sa.Text(), nullable=True),
        sa.Column("school_id", sa.UUID(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("email_verified", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("settings", postgresql.JSONB(), nullable=True),
        sa.Column(
            "sort_key",
            sa.Text(collation="C"),
            sa.Computed("ge_sort_key(last_name, first_name)", persisted=True),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("users_school_id_fkey")),
        sa.PrimaryKeyConstraint("id", name=op.f("users_pkey")),
        sa.UniqueConstraint("email", name=op.f("users_email_key")),
    )
    op.create_index("idx_users_email", "users", ["email"], unique=False)
    op.create_index("idx_users_school_role", "users", ["school_id", "role"], unique=False)
    op.create_index("ix_users_deleted_at", "users", ["deleted_at"], unique=False)
    op.create_index("ix_users_role", "users", ["role"], unique=False)
    op.create_index("ix_users_school_id", "users", ["school_id"], unique=False)
    op.create_index("ix_users_school_sort_key", "users", ["school_id", "sort_key"], unique=False)
    op.create_table(
        "analyses",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("student_id", sa.UUID(), nullable=False),
        sa.Column("teacher_id", sa.UUID(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("IN_PROGRESS", "COMPLETED", "FAILED", name="analysis_status"),
            server_default=sa.text("'IN_PROGRESS'"),
            nullable=False,
        ),
        sa.Column("results", postgresql.JSONB(), nullable=True),
        sa.Column("teacher_edits", postgresql.JSONB(), nullable=True),
        sa.Column("private_notes", sa.Text(), nullable=True),
        sa.Column("session_duration", sa.Integer(), nullable=True),
        sa.Column("total_tokens", sa.Integer(), nullable=True),
        sa.Column("estimated_cost", sa.Double(), nullable=True),
        sa.Column(
            "flagged_for_review", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["student_id"], ["students.id"], name=op.f("analyses_student_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["teacher_id"], ["users.id"], name=op.f("analyses_teacher_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("analyses_pkey")),
    )
    op.create_index(
        "idx_analyses_flagged",
        "analyses",
        ["flagged_for_review"],
        unique=False,
        postgresql_where=sa.text("flagged_for_review = true"),
    )
    op.create_index(
        "idx_analyses_student_created",
        "analyses",
        ["student_id", sa.literal_column("created_at DESC")],
        unique=False,
    )
    op.create_index(
        "idx_analyses_teacher_created",
        "analyses",
        ["teacher_id", sa.literal_column("created_at DESC")],
        unique=False,
    )
    op.create_index("ix_analyses_created_at", "analyses", ["created_at"], unique=False)
    op.create_index("ix_analyses_deleted_at", "analyses", ["deleted_at"], unique=False)
    op.create_index(
        "ix_analyses_flagged_for_review", "analyses", ["flagged_for_review"], unique=False
    )
    op.create_index("ix_analyses_status", "analyses", ["status"], unique=False)
    op.create_index("ix_analyses_student_id", "analyses", ["student_id"], unique=False)
    op.create_index("ix_analyses_teacher_id", "analyses", ["teacher_id"], unique=False)
    op.create_table(
        "chat_identities",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column(
            "platform", sa.Enum("SLACK", "TELEGRAM", "SHELL", name="chat_platform"), nullable=False
        ),
        sa.Column("workspace_id", sa.Text(), nullable=False),
        sa.Column("external_user_id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column(
            "linked_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("chat_identities_user_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("chat_identities_pkey")),
        sa.UniqueConstraint(
            "platform",
            "workspace_id",
            "external_user_id",
            name=op.f("chat_identities_platform_workspace_id_external_user_id_key"),
        ),
    )
    op.create_index("ix_chat_identities_user_id", "chat_identities", ["user_id"], unique=False)
    op.create_table(
        "classes",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("grade_level", sa.Text(), nullable=True),
        sa.Column("section", sa.Text(), nullable=True),
        sa.Column("teacher_id", sa.UUID(), nullable=False),
        sa.Column("school_id", sa.UUID(), nullable=False),
        sa.Column("academic_year", sa.Text(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("classes_school_id_fkey")),
        sa.ForeignKeyConstraint(["teacher_id"], ["users.id"], name=op.f("classes_teacher_id_fkey")),
        sa.PrimaryKeyConstraint("id", name=op.f("classes_pkey")),
    )
    op.create_index("ix_classes_academic_year", "classes", ["academic_year"], unique=False)
    op.create_index("ix_classes_deleted_at", "classes", ["deleted_at"], unique=False)
    op.create_index("ix_classes_grade_level", "classes", ["grade_level"], unique=False)
    op.create_index("ix_classes_school_id", "classes", ["school_id"], unique=False)
    op.create_index("ix_classes_teacher_id", "classes", ["teacher_id"], unique=False)
    op.create_table(
        "link_codes",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("link_codes_user_id_fkey")),
        sa.PrimaryKeyConstraint("id", name=op.f("link_codes_pkey")),
        sa.UniqueConstraint("code", name=op.f("link_codes_code_key")),
    )
    op.create_index("ix_link_codes_user_id", "link_codes", ["user_id"], unique=False)
    op.create_table(
        "analysis_conversations",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("analysis_id", sa.UUID(), nullable=False),
        sa.Column(
            "role", sa.Enum("SYSTEM", "ASSISTANT", "USER", name="conversation_role"), nullable=False
        ),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("tokens", sa.Integer(), nullable=True),
        sa.Column("sequence_number", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["analysis_id"],
            ["analyses.id"],
            name=op.f("analysis_conversations_analysis_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("analysis_conversations_pkey")),
        sa.UniqueConstraint(
            "analysis_id",
            "sequence_number",
            name=op.f("analysis_conversations_analysis_id_sequence_number_key"),
        ),
    )
    op.create_index(
        "ix_analysis_conversations_analysis_id",
        "analysis_conversations",
        ["analysis_id"],
        unique=False,
    )
    op.create_index(
        "ix_analysis_conversations_sequence_number",
        "analysis_conversations",
        ["sequence_number"],
        unique=False,
    )
    op.create_table(
        "class_enrollments",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("student_id", sa.UUID(), nullable=False),
        sa.Column("class_id", sa.UUID(), nullable=False),
        sa.Column(
            "enrolled_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("dropped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["class_id"], ["classes.id"], name=op.f("class_enrollments_class_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["students.id"], name=op.f("class_enrollments_student_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("class_enrollments_pkey")),
        sa.UniqueConstraint(
            "student_id", "class_id", name=op.f("class_enrollments_student_id_class_id_key")
        ),
    )
    op.create_index(
        "ix_class_enrollments_class_id", "class_enrollments", ["class_id"], unique=False
    )
    op.create_index(
        "ix_class_enrollments_enrolled_at", "class_enrollments", ["enrolled_at"], unique=False
    )
    op.create_index(
        "ix_class_enrollments_student_id", "class_enrollments", ["student_id"], unique=False
    )
    for table in TABLES_WITH_UPDATED_AT:
        op.execute(
            f"CREATE TRIGGER {table}_set_updated_at BEFORE UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION public.ge_set_updated_at()"
        )
    op.execute(
        "CREATE TRIGGER audit_logs_immutable BEFORE UPDATE OR DELETE ON audit_logs "
        "FOR EACH ROW EXECUTE FUNCTION public.ge_audit_logs_immutable()"
    )
    op.execute(
        "CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs "
        "FOR EACH STATEMENT EXECUTE FUNCTION public.ge_audit_logs_immutable()"
    )
    # ALWAYS: the triggers fire even under session_replication_role = replica.
    op.execute("ALTER TABLE audit_logs ENABLE ALWAYS TRIGGER audit_logs_immutable")
    op.execute("ALTER TABLE audit_logs ENABLE ALWAYS TRIGGER audit_logs_no_truncate")


def downgrade() -> None:
    op.drop_index("ix_class_enrollments_student_id", table_name="class_enrollments")
    op.drop_index("ix_class_enrollments_enrolled_at", table_name="class_enrollments")
    op.drop_index("ix_class_enrollments_class_id", table_name="class_enrollments")
    op.drop_table("class_enrollments")
    op.drop_index("ix_analysis_conversations_sequence_number", table_name="analysis_conversations")
    op.drop_index("ix_analysis_conversations_analysis_id", table_name="analysis_conversations")
    op.drop_table("analysis_conversations")
    op.drop_index("ix_link_codes_user_id", table_name="link_codes")
    op.drop_table("link_codes")
    op.drop_index("ix_classes_teacher_id", table_name="classes")
    op.drop_index("ix_classes_school_id", table_name="classes")
    op.drop_index("ix_classes_grade_level", table_name="classes")
    op.drop_index("ix_classes_deleted_at", table_name="classes")
    op.drop_index("ix_classes_academic_year", table_name="classes")
    op.drop_table("classes")
    op.drop_index("ix_chat_identities_user_id", table_name="chat_identities")
    op.drop_table("chat_identities")
    op.drop_index("ix_analyses_teacher_id", table_name="analyses")
    op.drop_index("ix_analyses_student_id", table_name="analyses")
    op.drop_index("ix_analyses_status", table_name="analyses")
    op.drop_index("ix_analyses_flagged_for_review", table_name="analyses")
    op.drop_index("ix_analyses_deleted_at", table_name="analyses")
    op.drop_index("ix_analyses_created_at", table_name="analyses")
    op.drop_index("idx_analyses_teacher_created", table_name="analyses")
    op.drop_index("idx_analyses_student_created", table_name="analyses")
    op.drop_index(
        "idx_analyses_flagged",
        table_name="analyses",
        postgresql_where=sa.text("flagged_for_review = true"),
    )
    op.drop_table("analyses")
    op.drop_index("ix_users_school_sort_key", table_name="users")
    op.drop_index("ix_users_school_id", table_name="users")
    op.drop_index("ix_users_role", table_name="users")
    op.drop_index("ix_users_deleted_at", table_name="users")
    op.drop_index("idx_users_school_role", table_name="users")
    op.drop_index("idx_users_email", table_name="users")
    op.drop_table("users")
    op.drop_index("ix_students_school_sort_key", table_name="students")
    op.drop_index("ix_students_school_id", table_name="students")
    op.drop_index("ix_students_grade_level", table_name="students")
    op.drop_index("ix_students_deleted_at", table_name="students")
    op.drop_index("idx_students_school_grade", table_name="students")
    op.drop_index("idx_students_name", table_name="students")
    op.drop_index(
        "idx_students_active", table_name="students", postgresql_where=sa.text("deleted_at IS NULL")
    )
    op.drop_table("students")
    op.drop_index("ix_schools_district_id", table_name="schools")
    op.drop_index("ix_schools_deleted_at", table_name="schools")
    op.drop_index("ix_schools_code", table_name="schools")
    op.drop_table("schools")
    op.drop_index("ix_districts_deleted_at", table_name="districts")
    op.drop_index("ix_districts_code", table_name="districts")
    op.drop_table("districts")
    op.drop_index("ix_audit_logs_user_id", table_name="audit_logs")
    op.drop_index("ix_audit_logs_resource_id", table_name="audit_logs")
    op.drop_index("ix_audit_logs_created_at", table_name="audit_logs")
    op.drop_index("ix_audit_logs_action", table_name="audit_logs")
    op.drop_index("idx_audit_logs_user_date", table_name="audit_logs")
    op.drop_index("idx_audit_logs_resource", table_name="audit_logs")
    op.drop_table("audit_logs")
    for enum_type in ENUM_TYPES:
        op.execute(f"DROP TYPE IF EXISTS {enum_type}")
    for function in (
        "ge_audit_logs_immutable()",
        "ge_set_updated_at()",
        "ge_sort_key(text, text)",
        "ge_fold(text)",
    ):
        op.execute(f"DROP FUNCTION IF EXISTS public.{function}")
    op.execute("DROP EXTENSION IF EXISTS unaccent")
