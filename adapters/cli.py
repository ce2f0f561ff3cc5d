"""The `growth-engine` console script: its commands, demo data and the main job."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from adapters.cli_admin import add_admin_parser, add_audit_parser
from adapters.cli_db import add_db_parser, run_db
from adapters.cli_roster import add_roster_parser
from adapters.reachable import Unreachable, check_database, check_redis
from adapters.settings import SettingsError, load_settings

if TYPE_CHECKING:
    from adapters.bootstrap import Infrastructure

EX_UNAVAILABLE = 69  # sysexits.h: a server the command needs cannot be reached


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="growth-engine",
        description="Growth Engine: AI-guided student analyses for teachers.",
        epilog="Exit codes: 0 done; 1 refused, failed or not confirmed; 2 bad usage or a file "
        "that cannot be read; 69 PostgreSQL or Redis cannot be reached.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    add_db_parser(commands)
    commands.add_parser(
        "seed-demo",
        help="Create the demo school (idempotent).",
        description="Create the demo district, school, staff, classes and "
        "students; running it again changes nothing.",
    )
    add_roster_parser(commands)
    add_admin_parser(commands)
    add_audit_parser(commands)
    commands.add_parser(
        "serve",
        help="Serve Slack / Telegram webhooks, /healthz and /metrics over HTTP.",
        description="Run the HTTP process on HTTP_HOST:HTTP_PORT; SIGTERM stops it gracefully.",
    )
    chat = commands.add_parser(
        "chat",
        help="Talk to the bot in the terminal as a user.",
        description="Run the dialogue in the terminal (stdin/stdout; works piped).",
    )
    chat.add_argument(
        "--as",
        dest="email",
        required=True,
        metavar="EMAIL",
        help="the user to act as, e.g. teacher1@demo.school",
    )
    chat.add_argument(
        "--bidi",
        choices=["logical", "visual", "auto"],
        default="logical",
        help="right-to-left lines as they are (logical: for terminals with bidi support) or "
        "reordered for terminals without it such as xterm (visual); auto guesses from the "
        "terminal's environment (see README)",
    )
    run = commands.add_parser(
        "run",
        help="The main job: start the bot (with the demo school on the embedded database).",
        description="Start the bot: the HTTP server when Slack or Telegram is configured, else "
        "the terminal chat as the demo teacher. The demo school is created only on the embedded "
        "default database (DATABASE_URL unset) or with --demo.",
    )
    run.add_argument(
        "--demo", action="store_true", help="create the demo school even on a configured database"
    )
    run.add_argument(
        "platform",
        nargs="?",
        choices=["telegram"],
        help="run only this platform (with --polling, for local use)",
    )
    run.add_argument(
        "--polling", action="store_true", help="Telegram long polling instead of the webhook"
    )
    return parser


async def _seed(database_url: str) -> str:
    from core.db import make_engine, make_session_factory
    from core.demo import seed_demo
    from core.uow import UnitOfWork

    engine = make_engine(database_url, pool_size=2)
    try:
        async with UnitOfWork(make_session_factory(engine)) as uow:
            summary = await seed_demo(uow=uow)
    finally:
        await engine.dispose()
    return (
        f"Demo data ready: school {summary.school_code} with {summary.users} staff, "
        f"{summary.classes} classes, {summary.students} students, "
        f"{summary.enrollments} enrollments. Staff emails: admin@demo.school, "
        "principal@demo.school, teacher1@demo.school, teacher2@demo.school."
    )


async def _chat(infra: Infrastructure, email: str, bidi: str = "logical") -> int:
    from adapters.shell import DOWNLOADS_FOLDER, chat, terminal_language
    from adapters.terminal_text import detect_bidi
    from adapters.wiring import build_engine

    assert infra.redis_url is not None
    mode = detect_bidi(os.environ, sys.stdout.isatty()) if bidi == "auto" else bidi
    wired = build_engine(infra.settings, infra.database_url, infra.redis_url)
    downloads = infra.settings.DATA_DIR / DOWNLOADS_FOLDER  # a folder per user inside
    try:
        language = terminal_language(os.environ)  # the composition root reads the environment
        return await chat(
            wired.engine,
            email,
            downloads=downloads,
            bidi="visual" if mode == "visual" else "logical",
            language=language,
        )
    finally:
        await wired.close()


def _needs_polling() -> int:
    print(
        "Telegram runs by webhook under `growth-engine serve`; add --polling to poll locally.",
        file=sys.stderr,
    )
    return 2


async def _telegram_polling(infra: Infrastructure) -> int:
    from adapters.telegram.polling import run_polling
    from adapters.wiring import build_engine

    if not infra.settings.TELEGRAM_BOT_TOKEN:
        print("TELEGRAM_BOT_TOKEN is not set.", file=sys.stderr)
        return 2
    assert infra.redis_url is not None
    wired = build_engine(infra.settings, infra.database_url, infra.redis_url)
    try:
        print("Telegram polling started; Ctrl-C stops it.")
        await run_polling(wired.engine, infra.settings)
    finally:
        await wired.close()
    return 0


async def _has_users(database_url: str) -> bool:
    from sqlalchemy import text

    from core.db import make_engine

    engine = make_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return bool(await conn.scalar(text("SELECT EXISTS (SELECT 1 FROM users)")))
    finally:
        await engine.dispose()


NO_USERS_HINT = (
    "No users yet: add an admin with `growth-engine admin user add EMAIL ADMIN FIRST LAST "
    "SCHOOL`, or create the demo school with `growth-engine seed-demo`."
)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    from adapters.logs import configure_logging

    configure_logging(settings.LOG_LEVEL)

    from adapters import schema
    from adapters.bootstrap import prepare_database, provision

    needs_redis = args.command in ("run", "chat", "serve")
    infra = provision(settings, with_redis=needs_redis)
    try:
        for note in infra.notes:
            print(note)
        try:
            check_database(infra.database_url)
            if infra.redis_url is not None and needs_redis:
                check_redis(infra.redis_url)
        except Unreachable as exc:
            print(exc, file=sys.stderr)
            return EX_UNAVAILABLE
        if args.command == "db":
            return run_db(args, infra)
        try:
            prepare_database(infra)
        except schema.SchemaBehind as exc:
            print(exc, file=sys.stderr)
            return 2
        if args.command == "roster":
            from adapters.cli_roster import run_roster

            return run_roster(args, infra.database_url)
        if args.command == "admin":
            from adapters.cli_admin import run_admin

            return run_admin(args, infra.database_url, infra.settings.DATA_DIR)
        if args.command == "audit":
            from adapters.cli_admin import run_audit

            # Creating and dropping partitions is DDL: the owner's (as `db upgrade`); reading
            # rows to archive them is the application's.
            ddl = args.audit_command in ("partitions", "drop-month")
            return run_audit(args, infra.owner_url if ddl else infra.database_url)
        if args.command == "seed-demo" or (
            args.command == "run" and (infra.embedded_database or args.demo)
        ):
            print(asyncio.run(_seed(infra.database_url)))
        elif args.command in ("run", "serve") and not asyncio.run(_has_users(infra.database_url)):
            print(NO_USERS_HINT)
        from adapters.serve import configured_platforms

        if args.command == "run" and args.platform == "telegram":
            return asyncio.run(_telegram_polling(infra)) if args.polling else _needs_polling()

        if args.command == "serve" or (args.command == "run" and configured_platforms(settings)):
            from adapters.serve import serve

            return asyncio.run(serve(infra))
        if args.command == "run":
            print(
                "Opening the terminal chat as teacher1@demo.school (offline analyst unless "
                "OPENAI_API_KEY is set). Try: analyze Liam (replies in English: lang en)"
            )
            return asyncio.run(_chat(infra, "teacher1@demo.school"))
        if args.command == "chat":
            return asyncio.run(_chat(infra, args.email, args.bidi))
        return 0
    finally:
        infra.close()


if __name__ == "__main__":
    raise SystemExit(main())
