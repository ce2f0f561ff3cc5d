"""The timings and bounds of serve's pipeline (adapters/pipeline.py), short in tests."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PipelineSettings:
    """Timings of the pipeline (short in tests)."""

    sweep_seconds: float = 2.0
    # How long a sender owns the reply it took (renewed while it sends): after a crash another
    # sender takes it up this much later.
    send_claim_seconds: float = 10.0
    retry_seconds: float = 1.0
    max_retry_seconds: float = 10.0
    max_attempts: int = 5  # runs of one event before it is given up (a poison event)
    send_attempts: int = 8
    retention_seconds: float = 48 * 3600.0  # Telegram redelivers for up to 24 hours
    prune_every_seconds: float = 600.0
    # Events read at once by a conversation's worker, and how long it goes on running them
    # under one hold of the lock (the lock's renewals stop at its maximum hold).
    batch: int = 20
    batch_hold_seconds: float = 15.0
    # How long a shutdown waits for the turns and sends in flight; the rest is taken up by the
    # next start (a chat's replies paced at a platform's rate may need longer than this).
    drain_grace_seconds: float = 30.0
    # Conversations at once between waking and holding a turn slot (taking the lock, reading
    # the waiting events, waiting for the slot); the others wait for this without a lock.
    opening: int = 32
