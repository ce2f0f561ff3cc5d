"""The fair baseline: a hand-written exchange doing what one engine exchange must, and no more.

Per exchange, on the real migrated schema, as the application role (RLS in force):
- the conversation's lock in Redis: SET NX with a lease, released by a compare-and-delete
  script (two round trips, as any lock's uncontended path needs);
- the opening read, autocommitted: the inbox claim of the event (a redelivery stops here),
  the state record, the chat account's live user and school;
- transaction 1: BEGIN; `ge_act_as` (RLS's actor and the live-user check); one statement that
  locks the analysis under the same access rule as core/policy.py (author, student enrolled in
  an active class of theirs, not deleted, in progress), reads the student and the turns so far,
  marks the inbox event applied, inserts the teacher's turn and its audit row; COMMIT;
- the model call with no transaction open: the turns redacted by the real Pseudonymizer (kept
  per student, as the engine keeps it; the birth date is hidden too), the
  same instruction and JSON-schema format as the engine sends, one aiohttp POST, the body and
  the reply's JSON parsed;
- transaction 2: BEGIN; `ge_act_as`; one statement that locks the analysis again, inserts the
  assistant's turn, updates the analysis's tokens, cost and duration, upserts the state record,
  marks the event answered, records the reply in the outbox, and inserts the audit row; COMMIT.
Nine SQL round trips through a connection pool (acquired per unit, as the engine's is, so no
connection is held while the model answers), two Redis round trips.
"""

from __future__ import annotations

import functools
import json
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import asyncpg
import redis.asyncio

from bench.databases import dsn
from bench.interviews import ANSWER
from bench.turns.seats import Seat
from bench.turns.workload import WORKSPACE
from core.db import DRIVER_SETTINGS
from core.privacy import Pseudonymizer
from core.prompts import question_instruction, question_json_schema

APPLICATION = "ge-bench-fair"
POOL_SIZE = 20  # the engine's pool: 10 and 10 overflow

OPEN = """
WITH claimed AS (
  INSERT INTO inbox_events (event_key, conversation_key) VALUES ($1, $2)
  ON CONFLICT (event_key) DO UPDATE SET attempts = inbox_events.attempts + 1
   WHERE inbox_events.answered_at IS NULL
  RETURNING id)
SELECT (SELECT id FROM claimed) AS claimed, s.state, s.analysis_id, s.data,
       s.user_id AS state_user, u.id AS user_id, u.email, u.role::text AS role, u.school_id,
       u.is_active AND u.deleted_at IS NULL AND sc.deleted_at IS NULL AS live
  FROM chat_identities c
  JOIN users u ON u.id = c.user_id
  JOIN schools sc ON sc.id = u.school_id
  LEFT JOIN dialogue_states s ON s.platform = c.platform AND s.workspace_id = c.workspace_id
       AND s.external_user_id = c.external_user_id
 WHERE c.platform = 'SHELL' AND c.workspace_id = $3 AND c.external_user_id = $4
"""
ACT_AS = "SELECT ge_act_as($1, $2, $3)"
# The author's own analysis of a student enrolled in one of their active classes.
_MINE = """
  SELECT a.id, a.student_id, a.total_tokens, a.estimated_cost, a.created_at
    FROM analyses a JOIN students st ON st.id = a.student_id
   WHERE a.id = $1 AND a.teacher_id = $2 AND a.status = 'IN_PROGRESS' AND a.deleted_at IS NULL
     AND st.school_id = $3 AND st.deleted_at IS NULL
     AND EXISTS (SELECT 1 FROM class_enrollments e JOIN classes c ON c.id = e.class_id
                  WHERE e.student_id = st.id AND e.dropped_at IS NULL AND c.teacher_id = $2
                    AND c.is_active AND c.deleted_at IS NULL)
     FOR UPDATE OF a"""
TEACHER_TURN = f"""
WITH mine AS ({_MINE}),
prior AS (SELECT role, content, sequence_number FROM analysis_conversations
           WHERE analysis_id = $1),
applied AS (UPDATE inbox_events SET applied_at = now()
             WHERE event_key = $4 AND applied_at IS NULL AND EXISTS (SELECT 1 FROM mine)
            RETURNING id),
turn AS (INSERT INTO analysis_conversations (analysis_id, role, content, tokens, sequence_number)
         SELECT mine.id, 'USER', $5, $6,
                (SELECT coalesce(max(sequence_number), 0) + 1 FROM prior)
           FROM mine, applied
         RETURNING sequence_number),
audit AS (INSERT INTO audit_logs (user_id, user_email, user_role, action, resource,
                                  resource_id, metadata)
          SELECT $2, $7, 'TEACHER', 'UPDATE', 'Analysis', mine.id::text,
                 $8::jsonb || jsonb_build_object('studentIds', jsonb_build_array(mine.student_id),
                                                 'turn', turn.sequence_number)
            FROM mine, turn)
SELECT (SELECT sequence_number FROM turn) AS sequence, st.first_name, st.last_name,
       st.student_id, st.date_of_birth,
       ARRAY(SELECT role::text FROM prior ORDER BY sequence_number) AS roles,
       ARRAY(SELECT content FROM prior ORDER BY sequence_number) AS contents
  FROM mine JOIN students st ON st.id = mine.student_id
"""
QUESTION_TURN = f"""
WITH mine AS ({_MINE}),
turn AS (INSERT INTO analysis_conversations (analysis_id, role, content, tokens, sequence_number)
         SELECT mine.id, 'ASSISTANT', $4, $5,
                coalesce((SELECT sequence_number FROM analysis_conversations
                           WHERE analysis_id = $1 ORDER BY sequence_number DESC LIMIT 1), 0) + 1
           FROM mine
         RETURNING sequence_number),
counted AS (UPDATE analyses SET total_tokens = analyses.total_tokens + $6,
                   estimated_cost = analyses.estimated_cost + $7,
                   session_duration = greatest(0, extract(epoch FROM now() - analyses.created_at))
              FROM turn WHERE analyses.id = $1),
state AS (INSERT INTO dialogue_states (platform, workspace_id, external_user_id, user_id, state,
                                       analysis_id, data)
          VALUES ('SHELL', $8, $9, $2, 'INTERVIEWING', $1, $10::jsonb)
          ON CONFLICT (platform, workspace_id, external_user_id) DO UPDATE
            SET state = excluded.state, analysis_id = excluded.analysis_id,
                data = excluded.data, user_id = excluded.user_id),
answered AS (UPDATE inbox_events SET answered_at = now() WHERE event_key = $11),
sent AS (INSERT INTO outbox_replies (event_key, chat_key, route, reply)
         VALUES ($11, $12, $13::jsonb, $14::jsonb)),
audit AS (INSERT INTO audit_logs (user_id, user_email, user_role, action, resource,
                                  resource_id, metadata)
          SELECT $2, $15, 'TEACHER', 'UPDATE', 'Analysis', mine.id::text,
                 $16::jsonb || jsonb_build_object('studentIds', jsonb_build_array(mine.student_id),
                                                  'turn', turn.sequence_number)
            FROM mine, turn)
SELECT sequence_number FROM turn
"""
RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end "
RELEASE += "return 0"
AUDIT_META = json.dumps(
    {"channel": {"platform": "SHELL", "chatId": "bench"}, "changedFields": ["conversation"]}
)
ROLES = {"SYSTEM": "system", "ASSISTANT": "assistant", "USER": "user"}


@dataclass
class FairRig:
    """What the fair exchange runs on: a pool as the application role, Redis, HTTP."""

    pool: asyncpg.Pool
    redis: redis.asyncio.Redis
    http: aiohttp.ClientSession
    ai_url: str
    namespace: str
    release_sha: str
    schema: dict[str, Any]


async def _no_reset(connection: asyncpg.Connection) -> None:
    """Nothing to reset: the exchange leaves no session state behind (SET LOCAL only)."""


@asynccontextmanager
async def fair_rig(
    app_url: str, client: redis.asyncio.Redis, namespace: str, ai_url: str
) -> AsyncIterator[FairRig]:
    """The baseline's pool, Redis script and HTTP session; all closed after."""
    pool = await asyncpg.create_pool(
        dsn(app_url), min_size=1, max_size=POOL_SIZE, reset=_no_reset,
        # Set up as the engine's hot-path connections are (no JIT, generic plans).
        server_settings={"application_name": APPLICATION, **DRIVER_SETTINGS},
    )  # fmt: skip
    http = aiohttp.ClientSession()
    try:
        sha = await client.script_load(RELEASE)
        yield FairRig(pool, client, http, ai_url, namespace, sha, question_json_schema())
    finally:
        await http.close()
        await pool.close()


@functools.lru_cache(maxsize=1024)
def _redactor(first: str, last: str, student_id: str | None, born: Any) -> Pseudonymizer:
    """Kept per student, as the engine keeps its redactors (bot/interview.py)."""
    return Pseudonymizer(first, last, student_id=student_id,
                         date_of_birth=born.date() if born else None)  # fmt: skip


async def _ask(rig: FairRig, messages: list[dict[str, str]]) -> tuple[str, int, int]:
    """The model call: the question and the prompt and completion tokens."""
    body = {
        "model": "gpt-4o-mini",
        "messages": messages,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "interview_turn", "strict": True, "schema": rig.schema},
        },
    }
    async with rig.http.post(
        f"{rig.ai_url}/chat/completions", data=json.dumps(body),
        headers={"Authorization": "Bearer bench", "Content-Type": "application/json"},
    ) as response:  # fmt: skip
        response.raise_for_status()
        completion = json.loads(await response.read())
    reply = json.loads(completion["choices"][0]["message"]["content"])
    usage = completion.get("usage") or {}
    return reply["question"], usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)


async def exchange(rig: FairRig, seat: Seat) -> float:
    """`seat`'s next exchange; the model call's seconds within it."""
    seat.advance()
    event_key = f"fair-{seat.teacher}-{seat.step}"
    external = f"t{seat.teacher}"
    conversation = f"SHELL:{WORKSPACE}:{external}"
    lock, token = f"{rig.namespace}:fair:{conversation}", secrets.token_hex(8)
    if not await rig.redis.set(lock, token, nx=True, px=10_000):
        raise RuntimeError(f"fair lock {lock} held")
    try:
        async with rig.pool.acquire() as conn:
            opened = await conn.fetchrow(OPEN, event_key, conversation, WORKSPACE, external)
        if opened is None or opened["claimed"] is None or not opened["live"]:
            raise RuntimeError(f"fair exchange could not open {external}: {opened!r}")
        me, school, email = opened["user_id"], opened["school_id"], opened["email"]
        analysis = opened["analysis_id"]
        async with rig.pool.acquire() as conn, conn.transaction():
            if await conn.fetchval(ACT_AS, me, opened["role"], school) is not None:
                raise RuntimeError("actor refused")
            first = await conn.fetchrow(
                TEACHER_TURN, analysis, me, school, event_key, ANSWER, len(ANSWER) // 4 + 1,
                email, AUDIT_META,
            )  # fmt: skip
            if first is None or first["sequence"] is None:
                raise RuntimeError(f"fair exchange: no turn stored for {external}")
        redactor = _redactor(first["first_name"], first["last_name"], first["student_id"],
                             first["date_of_birth"])  # fmt: skip
        messages = [
            {"role": ROLES[role], "content": text if role == "SYSTEM" else redactor.redact(text)}
            for role, text in zip(first["roles"], first["contents"], strict=True)
        ]
        messages.append({"role": "user", "content": redactor.redact(ANSWER)})
        language = json.loads(opened["data"] or "{}").get("language", "en")
        messages.append(
            {"role": "system", "content": question_instruction(language, may_finish=False)}
        )
        started = time.perf_counter()
        question, prompt, completion = await _ask(rig, messages)
        model_seconds = time.perf_counter() - started
        question = redactor.restore(question)
        reply = json.dumps({"text": question, "buttons": [["Finish", "finish"]]})
        async with rig.pool.acquire() as conn, conn.transaction():
            if await conn.fetchval(ACT_AS, me, opened["role"], school) is not None:
                raise RuntimeError("actor refused")
            stored = await conn.fetchval(
                QUESTION_TURN, analysis, me, school, question, completion, prompt + completion,
                (prompt * 0.15 + completion * 0.6) / 1e6, WORKSPACE, external,
                json.dumps({"language": language}), event_key, conversation,
                json.dumps({"chat": external}), reply, email, AUDIT_META,
            )  # fmt: skip
            if stored is None:
                raise RuntimeError(f"fair exchange: no question stored for {external}")
        return model_seconds
    finally:
        await rig.redis.evalsha(rig.release_sha, 1, lock, token)
