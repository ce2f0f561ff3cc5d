"""The audit trail and the `@service` decorator that makes forgetting it impossible.

Every public use case is decorated with `@service`. The decorator makes the unit of work act as
the actor, which re-checks it against the database in every transaction (denying inactive or
deleted users, a deleted school, a changed role), runs the use case, and then insists that at least
one audit row was written *and committed*; a denial rolls back, is audited in its own commit and
re-raised; other domain errors (not found, bad input) are audited as failed attempts the same
way. Independently, the unit of work refuses to commit changes to protected tables when no
audit row goes with them (see `core/session_guards.py`).
"""

from __future__ import annotations

import functools
import inspect
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, ParamSpec, TypeVar, overload

from core.actor import Actor
from core.errors import AccessDenied, AuditMissing, DomainError
from core.models import AuditAction
from core.planning import SettingsFor
from core.uow import UnitOfWork

P = ParamSpec("P")
R = TypeVar("R")

# Every decorated use case, by qualified name; the audit test walks this and core/services.
SERVICES: dict[str, Callable[..., Awaitable[Any]]] = {}


def _ids(values: Iterable[Any]) -> list[str]:
    return [str(v) for v in values]


def record(
    uow: UnitOfWork,
    actor: Actor,
    action: AuditAction,
    resource: str,
    resource_id: Any = None,
    *,
    student_ids: Iterable[Any] | None = None,
    changed_fields: Iterable[str] | None = None,
    **extra: Any,
) -> None:
    """Add one audit row to the unit of work (committed with it): who, what, where, which ids."""
    metadata: dict[str, Any] = {"channel": actor.channel.as_metadata(), **extra}
    if student_ids is not None:
        metadata["studentIds"] = _ids(student_ids)
    if changed_fields is not None:
        metadata["changedFields"] = sorted(changed_fields)
    uow.add_audit_row(
        {
            "user_id": None if actor.user_id is None else str(actor.user_id),
            "user_email": actor.email,
            "user_role": str(actor.role),
            "action": action,
            "resource": resource,
            "resource_id": None if resource_id is None else str(resource_id),
            "metadata": metadata,
        }
    )


async def _record_failure(uow: UnitOfWork, actor: Actor, error: DomainError, name: str) -> None:
    """Roll the use case back, then keep a record of the attempt in its own commit."""
    await uow.rollback()
    # The record needs no student data; a refused actor could not even begin its transaction.
    await uow.act_as(None)
    if isinstance(error, AccessDenied):
        record(
            uow,
            actor,
            AuditAction.READ,
            error.resource or "Access",
            error.resource_id,
            denied=True,
            reason=error.reason,
            service=name,
        )
    else:
        record(
            uow,
            actor,
            AuditAction.READ,
            getattr(error, "resource", None) or "Request",
            getattr(error, "key", None),
            failed=True,
            error=error.code,
            service=name,
        )
    await uow.commit()


@overload
def service(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]: ...


@overload
def service(
    *, on_driver: bool = False, settings: SettingsFor | None = None
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]: ...


def service(fn: Any = None, *, on_driver: bool = False, settings: SettingsFor | None = None) -> Any:
    """Mark a public use case: keyword-only `uow` and `actor`, audited or it fails loudly.

    `on_driver`: the use case's statements are `UnitOfWork.run_audited` ones, so its
    transaction runs on a pooled driver connection (the exchange's hot path).
    `settings`: what its transactions set with the actor check, from the call's keyword
    arguments (core/planning.py; `UnitOfWork.act_as`).
    """
    if fn is None:
        return lambda inner: _service(inner, on_driver=on_driver, settings=settings)
    return _service(fn, on_driver=on_driver, settings=settings)


def _service(
    fn: Callable[P, Awaitable[R]], *, on_driver: bool, settings: SettingsFor | None = None
) -> Callable[P, Awaitable[R]]:
    params = inspect.signature(fn).parameters
    for required in ("uow", "actor"):
        if (
            params.get(required) is None
            or params[required].kind is not inspect.Parameter.KEYWORD_ONLY
        ):
            raise TypeError(f"{fn.__qualname__}: `{required}` must be keyword-only")
    name = f"{fn.__module__}.{fn.__qualname__}"

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        uow: UnitOfWork = kwargs["uow"]  # type: ignore[assignment]
        actor: Actor = kwargs["actor"]  # type: ignore[assignment]
        committed_before = uow.audit_rows_committed
        try:
            if on_driver:
                uow.use_driver()
            await uow.act_as(actor, settings=settings(kwargs) if settings else ())
            result = await fn(*args, **kwargs)
        except DomainError as error:
            await _record_failure(uow, actor, error, name)
            raise
        if uow.audit_rows_pending:
            raise AuditMissing(f"{name} returned with audit rows it never committed")
        if uow.audit_rows_committed == committed_before:
            raise AuditMissing(f"{name} wrote no audit row")
        return result

    wrapper.__audited__ = True  # type: ignore[attr-defined]
    SERVICES[name] = wrapper
    return wrapper


def new_id() -> uuid.UUID:
    """A fresh uuid for rows whose id is needed before the insert returns."""
    return uuid.uuid4()
