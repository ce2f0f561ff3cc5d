"""`growth-engine roster import`: roster CSV files into a school, as the system actor."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from core.roster_csv import KINDS, Kind, RosterRejected, sniff

PROGRESS_FROM_ROWS = 2000  # smaller files finish before a bar would be worth drawing
REPORT_LIMIT = 200  # lines of a rejection report printed; the rest are counted


def add_roster_parser(commands: argparse._SubParsersAction) -> None:
    """Add `roster import --school CODE [--kind KIND] FILE...` to the top-level subcommands."""
    roster = commands.add_parser(
        "roster", help="Import roster CSV files.", description="School roster files."
    )
    actions = roster.add_subparsers(dest="roster_command", required=True, metavar="ACTION")
    imp = actions.add_parser(
        "import",
        help="Import students, classes or enrollments from CSV.",
        description="Import roster CSV files (UTF-8 or Windows-1255). Each file is validated "
        "whole and imported in one transaction; a file with any bad line imports nothing. "
        "Files are imported students first, then classes, then enrollments.",
    )
    imp.add_argument("--school", required=True, metavar="CODE", help="the school's code")
    imp.add_argument(
        "--kind", choices=KINDS, help="what the files hold (default: inferred from each header)"
    )
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE", help="CSV file(s)")


Plan = list[tuple[Path, bytes, Kind, int]]


def _plan(args: argparse.Namespace) -> Plan | int:
    """Every file read and sniffed, ordered so enrollments come after what they refer to."""
    plan = []
    for path in args.files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            print(f"{path}: cannot read: {exc.strerror}", file=sys.stderr)
            return 2
        try:
            kind, rows = sniff(data)
        except RosterRejected as exc:
            if args.kind is None:
                print(f"{path}: rejected, nothing imported:", file=sys.stderr)
                print(exc.report(REPORT_LIMIT), file=sys.stderr)
                return 1
            kind, rows = args.kind, 0  # the import itself reports (and audits) the problem
        plan.append((path, data, args.kind or kind, rows))
    return sorted(plan, key=lambda item: KINDS.index(item[2]))


async def _import_all(plan: Plan, school: str, database_url: str) -> int:
    from tqdm import tqdm

    from core.actor import Channel, system_actor
    from core.db import BATCH_COMMAND_TIMEOUT, make_engine, make_session_factory
    from core.errors import DomainError
    from core.services.roster_import import import_roster
    from core.uow import UnitOfWork

    engine = make_engine(database_url, pool_size=2, command_timeout=BATCH_COMMAND_TIMEOUT)
    factory = make_session_factory(engine)
    actor = system_actor(Channel("CLI"))
    try:
        for done, (path, data, kind, rows) in enumerate(plan):
            started = time.perf_counter()
            bar = tqdm(total=rows, desc=path.name, unit="row", disable=rows < PROGRESS_FROM_ROWS)
            try:
                async with UnitOfWork(factory) as uow:
                    report = await import_roster(
                        uow=uow,
                        actor=actor,
                        school_code=school,
                        kind=kind,
                        data=data,
                        progress=bar.update,
                    )
            except RosterRejected as exc:
                bar.close()
                print(f"{path}: rejected, nothing imported from it:", file=sys.stderr)
                print(exc.report(REPORT_LIMIT), file=sys.stderr)
                _not_attempted(plan[done + 1 :])
                return 1
            except DomainError as exc:
                bar.close()
                print(f"{path}: {exc}", file=sys.stderr)
                _not_attempted(plan[done + 1 :])
                return 1
            bar.close()
            print(f"{path}: {report.summary()} in {time.perf_counter() - started:.1f}s")
    finally:
        await engine.dispose()
    return 0


def _not_attempted(rest: Plan) -> None:
    if rest:
        names = ", ".join(str(path) for path, *_ in rest)
        print(f"Not attempted: {names}", file=sys.stderr)


def run_roster(args: argparse.Namespace, database_url: str) -> int:
    """Run `roster import`; exit code 0 when every file imported, 1 on a rejection, 2 if unread."""
    plan = _plan(args)
    if isinstance(plan, int):
        return plan
    return asyncio.run(_import_all(plan, args.school, database_url))
