"""`growth-engine admin ...` and `growth-engine audit archive`, as the system actor.

`admin` takes the chat's admin commands word for word (one grammar, `bot.admin_commands`),
answers in English, writes the files a command returns (a student's record) into `--out`,
and sends `--attach FILE` as the message's attachment (a roster CSV). Exit codes: 0 done,
1 refused or failed, 2 bad usage. `audit archive` copies old audit rows to cold storage.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path

CLI_OPTIONS = ("--out", "--attach", "--telegram-bot")


def add_admin_parser(commands: argparse._SubParsersAction) -> None:
    """Add `admin [--out DIR] [--attach FILE] [--telegram-bot NAME] COMMAND ...`."""
    from bot.admin_commands import SPECS

    admin = commands.add_parser(
        "admin",
        help="Administration: users, schools, invites, rosters, quotas, usage, audit, "
        "retention, student records.",
        description="Run an admin command as the system actor (audited as CLI).\n"
        "Retention is safe to run daily from cron: growth-engine admin retention",
        epilog="commands:\n" + "\n".join(f"  {s.usage}" for s in SPECS),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    admin.add_argument(
        "--out", type=Path, default=Path("."), metavar="DIR", help="where files are written"
    )
    admin.add_argument("--attach", type=Path, metavar="FILE", help="the CSV for roster import")
    admin.add_argument(
        "--telegram-bot", metavar="NAME", help="the bot's username, for invite deep links"
    )
    admin.add_argument("words", nargs=argparse.REMAINDER, metavar="COMMAND ...")


def add_audit_parser(commands: argparse._SubParsersAction) -> None:
    """Add `audit archive --before DATE --to DIR`."""
    audit = commands.add_parser(
        "audit", help="Audit trail tools.", description="The audit trail (append-only)."
    )
    actions = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    archive = actions.add_parser(
        "archive",
        help="Copy old audit rows to compressed JSON Lines with a SHA-256 manifest.",
        description="Copy audit rows created before DATE (UTC) into DIR: one "
        "audit_logs-YYYY-MM.jsonl.gz per month, manifest.json and SHA256SUMS. The rows stay "
        "in the database; a DIR that already holds a manifest is refused.",
    )
    archive.add_argument(
        "--before", required=True, type=date.fromisoformat, metavar="DATE", help="YYYY-MM-DD"
    )
    archive.add_argument("--to", required=True, type=Path, metavar="DIR", dest="directory")


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


async def _admin(args: argparse.Namespace, words: list[str], database_url: str) -> int:
    from bot.admin_commands import Call, execute
    from bot.events import Attachment
    from core.actor import Channel, system_actor
    from core.db import BATCH_COMMAND_TIMEOUT, make_engine, make_session_factory
    from core.uow import UnitOfWork

    attachments: tuple[Attachment, ...] = ()
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
    )
    try:
        outcome = await execute(call, words)
    finally:
        await engine.dispose()
    out = sys.stdout if outcome.status == 0 else sys.stderr
    for reply in outcome.replies:
        print(reply.text, file=out)
        for attachment in reply.attachments:
            target = Path(args.out) / attachment.filename
            await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
            await asyncio.to_thread(target.write_bytes, attachment.content)
            print(f"Wrote {target}")
    return outcome.status


def run_admin(args: argparse.Namespace, database_url: str) -> int:
    """Run one admin command; returns the exit code."""
    words = _cli_options(args)
    if isinstance(words, int):
        return words
    return asyncio.run(_admin(args, words, database_url))


async def _archive(args: argparse.Namespace, database_url: str) -> int:
    from core.actor import Channel, system_actor
    from core.db import BATCH_COMMAND_TIMEOUT, make_engine, make_session_factory
    from core.errors import DomainError
    from core.services.archive import archive_audit_logs
    from core.uow import UnitOfWork

    engine = make_engine(database_url, pool_size=2, command_timeout=BATCH_COMMAND_TIMEOUT)
    try:
        async with UnitOfWork(make_session_factory(engine)) as uow:
            manifest = await archive_audit_logs(
                uow=uow,
                actor=system_actor(Channel("CLI")),
                before=args.before,
                directory=args.directory,
            )
    except DomainError as exc:
        print(f"Not archived: {exc}", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    print(
        f"Archived {manifest.rows} audit rows created before {manifest.before} into "
        f"{manifest.directory} ({len(manifest.files)} files, manifest.json, SHA256SUMS)."
    )
    return 0


def run_audit(args: argparse.Namespace, database_url: str) -> int:
    """Run `audit archive`; 0 when archived, 1 when refused."""
    return asyncio.run(_archive(args, database_url))
