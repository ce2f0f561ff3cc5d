"""`growth-engine admin ...` and `growth-engine audit archive`, as the system actor.

`admin` takes the chat's admin commands word for word (one grammar, `bot.admin_commands`),
answers in English, writes the files a command returns (a student's record) into `--out`
(default DATA_DIR/records, never over an earlier file), and sends `--attach FILE` as the
message's attachment (a roster CSV). A reply that asks to confirm (retention) is asked at the
terminal, or needs `--yes` when no one is there to answer. Exit codes: 0 done, 1 refused,
failed or not confirmed, 2 bad usage. `audit archive` copies old audit rows to cold storage;
`audit partitions` creates monthly partitions ahead; `audit drop-month` drops an archived one.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.events import Reply

CLI_OPTIONS = ("--out", "--attach", "--telegram-bot")
CONFIRM_PREFIX = "admin:"  # a button's action: the admin command to run once confirmed
RECORDS_FOLDER = "records"  # under DATA_DIR: where files go without --out
DATA_DIR = Path(".data")  # the Settings default; the CLI passes the configured one


def add_admin_parser(commands: argparse._SubParsersAction) -> None:
    """Add `admin [--out DIR] [--attach FILE] [--telegram-bot NAME] COMMAND ...`."""
    from bot.admin_commands import SPECS

    admin = commands.add_parser(
        "admin",
        help="Administration: users, schools, invites, rosters, quotas, usage, audit, "
        "retention, student records.",
        description="Run an admin command as the system actor (audited as CLI).\n"
        "Retention asks before it anonymises; from cron: growth-engine admin retention --yes",
        epilog="commands:\n" + "\n".join(f"  {s.usage}" for s in SPECS),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    admin.add_argument(
        "--out", type=Path, metavar="DIR", help="where files are written (default DATA_DIR/records)"
    )
    admin.add_argument("--attach", type=Path, metavar="FILE", help="the CSV for roster import")
    admin.add_argument(
        "--telegram-bot", metavar="NAME", help="the bot's username, for invite deep links"
    )
    admin.add_argument("words", nargs=argparse.REMAINDER, metavar="COMMAND ...")


def add_audit_parser(commands: argparse._SubParsersAction) -> None:
    """Add `audit archive`, `audit partitions` and `audit drop-month`."""
    audit = commands.add_parser(
        "audit", help="Audit trail tools.", description="The audit trail (append-only)."
    )
    actions = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    archive = actions.add_parser(
        "archive",
        help="Copy old audit rows to compressed JSON Lines with a SHA-256 manifest.",
        description="Copy audit rows created before DATE (UTC) into DIR: one "
        "audit_logs-YYYY-MM.jsonl.gz per month, manifest.json and SHA256SUMS. The rows stay "
        "in the database; a DIR that already holds a manifest is refused. With --month, "
        "one whole ended month, verified once written.",
    )
    which = archive.add_mutually_exclusive_group(required=True)
    which.add_argument("--before", type=date.fromisoformat, metavar="DATE", help="YYYY-MM-DD")
    which.add_argument("--month", metavar="YYYY-MM", help="one whole month")
    archive.add_argument("--to", required=True, type=Path, metavar="DIR", dest="directory")
    partitions = actions.add_parser(
        "partitions",
        help="Create the monthly partitions of audit_logs ahead (serve needs this and next).",
        description="Create audit_logs partitions from this month (or --from) to --ahead "
        "months on. Safe to run daily from cron. DDL: runs as the owner (DATABASE_OWNER_URL).",
    )
    partitions.add_argument("--ahead", type=int, default=3, metavar="N")
    partitions.add_argument("--from", dest="start", metavar="YYYY-MM")
    drop = actions.add_parser(
        "drop-month",
        help="Detach and drop one month past the retention period whose archive verifies.",
        description="Refused unless the month ended more than 7 years ago and DIR's archive "
        "(manifest.json, SHA256SUMS) verifies and holds every row of the month. DDL: runs as "
        "the owner (DATABASE_OWNER_URL).",
    )
    drop.add_argument("--month", required=True, metavar="YYYY-MM")
    drop.add_argument("--archive", required=True, type=Path, metavar="DIR", dest="directory")


def _cli_options(args: argparse.Namespace) -> list[str] | int:
    """The command words, with CLI options written after the command moved onto `args`."""
    words: list[str] = []
    rest = iter(args.words)
    for word in rest:
        if word not in CLI_OPTIONS:
            words.append(word)
            continue
        value = next(rest, None)
        if value is None:
            print(f"{word} needs a value", file=sys.stderr)
            return 2
        setattr(args, word[2:].replace("-", "_"), value)
    return words


async def _admin(
    args: argparse.Namespace, words: list[str], database_url: str, records: Path
) -> int:
    from adapters.shell import save_attachments
    from bot.admin_commands import Call, execute
    from bot.events import Attachment
    from core.actor import Channel, system_actor
    from core.db import BATCH_COMMAND_TIMEOUT, make_engine, make_session_factory
    from core.uow import UnitOfWork

    attachments: tuple[Attachment, ...] = ()
    needed = _needed_file(words)
    if needed and args.attach is None:
        print(f"{needed}: add --attach FILE.", file=sys.stderr)
        return 2
    if args.attach is not None:
        path = Path(args.attach)
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            print(f"{path}: cannot read: {exc.strerror}", file=sys.stderr)
            return 2
        attachments = (Attachment(path.name, data, "text/csv"),)
    engine = make_engine(database_url, pool_size=2, command_timeout=BATCH_COMMAND_TIMEOUT)
    factory = make_session_factory(engine)
    call = Call(
        lambda: UnitOfWork(factory),
        system_actor(Channel("CLI")),
        "en",
        attachments,
        args.telegram_bot,
        cli=True,
    )
    try:
        outcome = await execute(call, words)
        question = _question(outcome.replies)
        if question is not None:
            confirmed = await _confirm(*question)
            if confirmed is None:
                return 1
            outcome = await execute(call, confirmed)
    finally:
        await engine.dispose()
    out = sys.stdout if outcome.status == 0 else sys.stderr
    for reply in outcome.replies:
        print(reply.text, file=out)
        for target in await asyncio.to_thread(save_attachments, reply, args.out or records):
            print(f"Wrote {target}")
    return outcome.status


def _needed_file(words: list[str]) -> str:
    """What to say when the command needs a file (roster import: its CSV), else ""."""
    from bot.admin_commands import parse
    from bot.admin_grammar import UsageError

    if not words:
        return ""
    try:
        spec, _values = parse(words)
    except UsageError:
        return ""  # the command itself explains its usage
    if not spec.attachment:
        return ""
    return f"growth-engine {spec.usage} needs the {spec.attachment} file"


def _question(replies: list[Reply]) -> tuple[str, list[str]] | None:
    """A reply that asks to confirm: its text and the words of the confirmed command."""
    for reply in replies:
        for button in reply.buttons:
            if button.action.startswith(CONFIRM_PREFIX):
                return reply.text, button.action.removeprefix(CONFIRM_PREFIX).split()
    return None


async def _confirm(text: str, words: list[str]) -> list[str] | None:
    """`words` when the operator at the terminal types yes; None otherwise (and said why)."""
    print(text)
    if not sys.stdin.isatty():
        command = " ".join(words)
        print(f"Not done: add --yes to go ahead (growth-engine admin {command}).", file=sys.stderr)
        return None
    answer = await asyncio.to_thread(input, "Type yes to go ahead: ")
    if answer.strip().lower() != "yes":
        print("Not done.", file=sys.stderr)
        return None
    return words


def run_admin(args: argparse.Namespace, database_url: str, data_dir: Path = DATA_DIR) -> int:
    """Run one admin command; returns the exit code."""
    words = _cli_options(args)
    if isinstance(words, int):
        return words
    if isinstance(args.out, str):  # given after the command words
        args.out = Path(args.out)
    return asyncio.run(_admin(args, words, database_url, data_dir / RECORDS_FOLDER))


async def _archive(args: argparse.Namespace, database_url: str) -> int:
    from core.actor import Channel, system_actor
    from core.db import BATCH_COMMAND_TIMEOUT, make_engine, make_session_factory
    from core.errors import DomainError
    from core.services.archive import archive_audit_logs
    from core.services.audit_months import archive_month, create_partitions, drop_month
    from core.uow import UnitOfWork

    engine = make_engine(database_url, pool_size=2, command_timeout=BATCH_COMMAND_TIMEOUT)
    actor = system_actor(Channel("CLI"))
    command = args.audit_command
    try:
        async with UnitOfWork(make_session_factory(engine)) as uow:
            if command == "partitions":
                names = await create_partitions(
                    uow=uow, actor=actor, ahead=args.ahead, start=args.start
                )
                print(f"Audit partitions present: {names[0]} … {names[-1]} ({len(names)}).")
                return 0
            if command == "drop-month":
                rows = await drop_month(
                    uow=uow, actor=actor, month=args.month, directory=args.directory
                )
                print(f"Dropped {args.month}: {rows} audit rows, archived in {args.directory}.")
                return 0
            if args.month is not None:
                manifest = await archive_month(
                    uow=uow, actor=actor, month=args.month, directory=args.directory
                )
            else:
                manifest = await archive_audit_logs(
                    uow=uow, actor=actor, before=args.before, directory=args.directory
                )
    except DomainError as exc:
        print(f"Refused: {exc}", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    print(
        f"Archived {manifest.rows} audit rows created before {manifest.before} into "
        f"{manifest.directory} ({len(manifest.files)} files, manifest.json, SHA256SUMS)."
    )
    return 0


def run_audit(args: argparse.Namespace, database_url: str) -> int:
    """Run an `audit` action; 0 when done, 1 when refused."""
    return asyncio.run(_archive(args, database_url))
