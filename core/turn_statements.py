"""The exchange's two writes, each one statement: the teacher's turn, then the model's question.

`mine` is core/analysis_records' own-analysis select (the policy's visibility rule, the row
locked FOR UPDATE), compiled per role. Nothing is written unless the actor may edit the analysis
and it is in progress (`fit`); Python then tells NotFound, AccessDenied and Conflict apart from
the row it gets back, as before (always one row: NULLs when the analysis is not visible).
Sequence numbers are the newest + 1 under the row lock. Each writes
its audit rows from the unit's queue (UnitOfWork.run_audited), adding the turn's number and the
analysis's student (not known before the statement) to each.
"""

from __future__ import annotations

from core.actor import Actor
from core.analysis_records import _own_statement
from core.driver_sql import ACTING, AUDIT_COLUMNS, AUDIT_ROWS, DriverStatement, compose
from core.models import Analysis

_ANALYSES = Analysis.__table__

_FIT = """
fit AS (SELECT mine.id, mine.created_at FROM mine
         WHERE :may_edit::boolean AND mine.teacher_id = :actor_user_id
           AND mine.status = 'IN_PROGRESS')"""
_TURN = """
turn AS (INSERT INTO analysis_conversations (analysis_id, role, content, tokens, sequence_number,
                                             created_at)
         SELECT fit.id, :role::conversation_role, :content::text, :tokens::integer, {sequence},
                :now::timestamptz
           FROM fit {also}
         RETURNING sequence_number)"""
# Tokens and cost add up; the duration is kept current; an UPDATE only when something changes.
_DURATION_CHANGED = """analyses.session_duration IS DISTINCT FROM greatest(0, floor(extract(
                      epoch FROM :now::timestamptz - analyses.created_at)))"""
_COUNTED = f"""
counted AS (UPDATE analyses
               SET total_tokens = coalesce(analyses.total_tokens, 0) + :billed::integer,
                   estimated_cost = coalesce(analyses.estimated_cost, 0) + :cost::double precision,
                   session_duration = greatest(0, floor(extract(
                     epoch FROM :now::timestamptz - analyses.created_at)))
              FROM turn
             WHERE analyses.id = :analysis_id
               AND (:billed <> 0 OR :cost <> 0 OR {_DURATION_CHANGED})
            RETURNING 1)"""
_AUDIT = f"""
audit AS (INSERT INTO audit_logs ({AUDIT_COLUMNS})
          SELECT queued.user_id, queued.user_email, queued.user_role, queued.action,
                 queued.resource, queued.resource_id,
                 queued.metadata || jsonb_build_object(
                   'turn', turn.sequence_number,
                   'studentIds', jsonb_build_array(mine.student_id::text))
            FROM turn, mine, {AUDIT_ROWS}
          RETURNING 1)"""
_REPORT = f"""
       {ACTING},
       (SELECT sequence_number FROM turn) AS sequence,
       (SELECT count(*) FROM turn) + (SELECT count(*) FROM counted) AS written,
       (SELECT count(*) FROM audit) AS audited"""

# The teacher's turn, once per inbox event (`applied`), with the turns so far and the student.
_ANSWER = (
    "WITH mine AS ({mine}),"
    + _FIT
    + """,
prior AS (SELECT role, content, sequence_number, tokens FROM analysis_conversations
           WHERE analysis_id = :analysis_id),
applied AS (UPDATE inbox_events SET applied_at = now()
             WHERE event_key = :event_key::text AND applied_at IS NULL
               AND EXISTS (SELECT 1 FROM fit)
            RETURNING 1),
fresh AS (SELECT :event_key::text IS NULL OR EXISTS (SELECT 1 FROM applied)
                 OR NOT EXISTS (SELECT 1 FROM inbox_events WHERE event_key = :event_key) AS yes),"""
    + _TURN.format(
        sequence="(SELECT coalesce(max(sequence_number), 0) + 1 FROM prior)",
        also=", fresh WHERE fresh.yes",
    )
    + ","
    # No UPDATE of the analysis: a teacher's turn is not billed, and the question's write
    # moments later brings the duration up to date (an UPDATE under RLS, even one that never
    # runs, sets up its policy's plan on every execution).
    + _AUDIT
    + """
SELECT mine.*, (SELECT yes FROM fresh) AS fresh,"""
    + _REPORT.replace(" + (SELECT count(*) FROM counted)", "")
    + """,
       ARRAY(SELECT role::text FROM prior ORDER BY sequence_number) AS turn_roles,
       ARRAY(SELECT content FROM prior ORDER BY sequence_number) AS turn_contents,
       ARRAY(SELECT sequence_number FROM prior ORDER BY sequence_number) AS turn_numbers,
       ARRAY(SELECT tokens FROM prior ORDER BY sequence_number) AS turn_tokens
  FROM (SELECT 1) AS one LEFT JOIN mine ON true"""
)

# The model's question, with the conversation's state record, the event answered and its
# replies recorded to send: the exchange's last write.
_QUESTION = (
    "WITH mine AS ({mine}),"
    + _FIT
    + ","
    + _TURN.format(
        # Not max(): under RLS that reads every turn of the analysis through its policy; the
        # newest turn by index, policy checked on that one row, is the same number.
        sequence="coalesce((SELECT sequence_number FROM analysis_conversations "
        "WHERE analysis_id = :analysis_id ORDER BY sequence_number DESC LIMIT 1), 0) + 1",
        also="",
    )
    + ","
    + _COUNTED
    + ","
    + _AUDIT
    + """,
state AS (INSERT INTO dialogue_states (platform, workspace_id, external_user_id, user_id, state,
                                       analysis_id, data)
          SELECT :platform::chat_platform, :workspace_id::text, :external_user_id::text,
                 :state_user_id::uuid, :state::text, :state_analysis_id::uuid, :data::jsonb
            FROM turn WHERE :save_state::boolean
          ON CONFLICT (platform, workspace_id, external_user_id) DO UPDATE
            SET state = excluded.state, analysis_id = excluded.analysis_id, data = excluded.data,
                user_id = excluded.user_id),
answered AS (UPDATE inbox_events SET answered_at = now() FROM turn
              WHERE inbox_events.event_key = :answer_key::text),
recorded AS (INSERT INTO outbox_replies (event_key, chat_key, route, reply)
             SELECT :answer_key, reply.chat_key, reply.route, reply.reply
               FROM turn, jsonb_to_recordset(:replies::jsonb)
                    AS reply(chat_key text, route jsonb, reply jsonb))
SELECT mine.*,"""
    + _REPORT
    + "\n  FROM (SELECT 1) AS one LEFT JOIN mine ON true"
)

_REFUSALS_READ = ("id", "student_id", "teacher_id", "status", "created_at")
_BUILT: dict[tuple[str, bool], DriverStatement] = {}


def statement(actor: Actor, *, answer: bool) -> DriverStatement:
    """The teacher's-turn statement (`answer`) or the question's, for `actor`'s role."""
    key = (str(actor.role), answer)
    built = _BUILT.get(key)
    if built is None:
        # With the student joined: the visibility rule is checked on that one row (see
        # _own_statement), not on a scan of the school's students.
        mine = _own_statement(actor, lock=True, core=True, with_student=True)
        if not answer:
            # The question's write needs only what the refusals read (no private notes call).
            mine = mine.with_only_columns(
                *(_ANALYSES.c[name] for name in _REFUSALS_READ),
                maintain_column_froms=True,
            )
        built = compose(_ANSWER if answer else _QUESTION, mine=mine)
        _BUILT[key] = built
    return built
