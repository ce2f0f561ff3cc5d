"""Role checks for chat commands, so a refused command is denied and audited in core."""

from __future__ import annotations

from core.actor import Actor
from core.audit import record, service
from core.models import AuditAction, UserRole
from core.policy import require_role
from core.uow import UnitOfWork

COMMAND_ROLES: dict[str, tuple[UserRole, ...]] = {
    "summary": (UserRole.PRINCIPAL, UserRole.ADMIN),
    "flagged": (UserRole.PRINCIPAL, UserRole.ADMIN),
    "reviewed": (UserRole.PRINCIPAL, UserRole.ADMIN),
    "admin": (UserRole.ADMIN,),
    "analyze": (UserRole.TEACHER,),
}


@service
async def authorize_command(*, uow: UnitOfWork, actor: Actor, command: str) -> None:
    """Refuse (AccessDenied, audited) a command the actor's role may not use."""
    roles = COMMAND_ROLES.get(command)
    if roles is not None:
        require_role(actor, *roles, resource=f"Command:{command}")
    record(uow, actor, AuditAction.READ, f"Command:{command}", operation="authorized")
    await uow.commit()
