"""HTTP ack path: signed Slack events and Telegram updates into `serve` at increasing rates.

`growth-engine serve` runs as a subprocess with Slack and Telegram configured against FakeSlack,
FakeTelegram and FakeOpenAI (instant answers), all three in one child process so their servers
take no CPU from the load generator's event loop. Every request is a different seeded teacher
answering the first question of an interview in progress, half as a signed Events API DM
message, half as a Telegram update with the secret header; each has its own event id or
update id, so deduplication never short-circuits the turn.

The load is open-loop: each step sends at a fixed rate for a few seconds without waiting for
answers, and the ack latency is the HTTP response time of each request. Between steps the
turns and replies still queued are given a few seconds to finish. Sustained requests/s is the
highest step acknowledged at (nearly) its offered rate with every answer a 200.

The engine-only figure is bench.turns' own measurement at 8 conversations, run first in this
process against the same fake AI (its own database and Redis namespace). The target, "ack p99
under 50 ms at the engine's sustained rate" (issue 14), is checked at a step sent at that
rate; the PASS/FAIL is informational (the exit code does not depend on it). Only 127.0.0.1 is
loaded.

Run: `python -m bench.http` (DATABASE_URL and REDIS_URL, else embedded servers under
.data/bench). Every Redis key written carries this run's random tag and is deleted at the end.
"""
