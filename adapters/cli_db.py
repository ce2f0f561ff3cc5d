"""`growth-engine db`: migrations, the application's login role, drift and the revision."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from adapters.bootstrap import Infrastructure


def add_db_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `db upgrade|downgrade|roles|check|current` to the top-level subcommands."""
    db = commands.add_parser("db", help="Database migrations.", description="Database migrations.")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    up = db_commands.add_parser(
        "upgrade",
        help="Migrate up (default: to head).",
        description="Migrate the database up to a revision.",
    )
    up.add_argument("revision", nargs="?", default="head", help="target revision (default head)")
    down = db_commands.add_parser(
        "downgrade",
        help="Migrate down to REV ('base' empties it).",
        description="Migrate the database down to a revision.",
    )
    down.add_argument("revision", help="target revision, e.g. base or 0001")
    down.add_argument(
        "--yes-destroy-audit-trail",
        action="store_true",
        help="allow going below the initial revision although audit_logs holds rows",
    )
    db_commands.add_parser(
        "roles",
        help="Create the application's login role (DATABASE_URL's user) as the owner.",
        description="Create the login role DATABASE_URL names, if missing, as a member of the "
        "application group role (no DDL, no DELETE, append-only audit trail); set its password "
        "from the URL. Run as the owner (DATABASE_OWNER_URL) after `db upgrade`.",
    )
    db_commands.add_parser(
        "check",
        help="Fail if models and migrations differ.",
        description="Report drift between the models and the migrations.",
    )
    db_commands.add_parser(
        "current",
        help="Print the current revision.",
        description="Print the revision the database is at.",
    )


def run_db(args: argparse.Namespace, infra: Infrastructure) -> int:
    """Run `growth-engine db ACTION` against the owner's URL; the exit code."""
    from adapters import schema

    database_url = infra.owner_url
    if args.db_command == "upgrade":
        schema.upgrade(database_url, args.revision)
        print(f"Database at {schema.current(database_url) or 'base'}.")
    elif args.db_command == "downgrade":
        try:
            schema.downgrade(
                database_url, args.revision, destroy_audit_trail=args.yes_destroy_audit_trail
            )
        except schema.AuditTrailProtected as exc:
            print(exc, file=sys.stderr)
            return 2
        print(f"Database at {schema.current(database_url) or 'base'}.")
    elif args.db_command == "roles":
        return _roles(infra)
    elif args.db_command == "check":
        try:
            schema.check(database_url)
        except schema.SchemaDrift as exc:
            print(f"Drift between models and migrations: {exc}", file=sys.stderr)
            return 1
        print("No drift: the migrations match the models.")
    else:
        print(schema.current(database_url) or "base")
    return 0


def _roles(infra: Infrastructure) -> int:
    from sqlalchemy.engine import make_url

    from adapters.roles import RoleError, ensure_app_login_sync, login_of

    try:
        login = login_of(infra.database_url)
        if infra.embedded_database or login == login_of(infra.owner_url):
            raise RoleError(
                "DATABASE_URL logs in as the owner: give the application its own user in "
                "DATABASE_URL and the owner's in DATABASE_OWNER_URL"
            )
        ensure_app_login_sync(infra.owner_url, login, make_url(infra.database_url).password)
    except RoleError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"Role {login} ready: the application's rights, no DDL, no DELETE.")
    return 0
