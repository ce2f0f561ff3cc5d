"""The Lua scripts of the Redis lock (adapters/redis_store.RedisLocks), one round trip each.

Per lock key K (all keys share the `{K}` hash tag so they live in one slot):

* `<ns>:lock:{K}` holds the owner's random token with a PX lease; it is the only thing that
  grants the lock, so mutual exclusion never depends on the queue being tidy.
* `<ns>:lock:{K}:q` is a ZSET of waiting tokens scored by ticket (arrival order), and
  `<ns>:lock:{K}:t` a ZSET of the same tokens scored by a presence deadline (server ms).
* `<ns>:lock:{K}:wake:<token>` is a one-element list the releaser pushes to so the next waiter
  returns from BLPOP at once instead of at its next poll.

Acquire: when nobody is queued and the lock is free, SET NX at once (the uncontended case);
otherwise prune waiters whose presence lapsed, take the lock if it is free and the queue is empty
or we are its head, otherwise join (or refresh our place in) the queue. Release: compare-and-delete
the owner, leave the queue, and wake the new head (with nobody queued, only the
compare-and-delete). Renew: extend the owner's lease while we still hold it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

__all__ = ["ACQUIRE_SCRIPT", "RELEASE_SCRIPT", "RENEW_SCRIPT", "Script"]

# Shared by both scripts: server time (one clock for every process) and dropping waiters whose
# presence deadline passed, so a crashed waiter cannot hold up the queue.
_PRELUDE = """
local owner, queue, timeouts = KEYS[1], KEYS[2], KEYS[3]
local token, wake, presence = ARGV[1], ARGV[2], tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for _, gone in ipairs(redis.call('ZRANGEBYSCORE', timeouts, '-inf', now)) do
  redis.call('ZREM', queue, gone)
  redis.call('ZREM', timeouts, gone)
  redis.call('DEL', wake .. gone)
end
local function wake_head()
  local head = redis.call('ZRANGE', queue, 0, 0)[1]
  if head then
    redis.call('LPUSH', wake .. head, 1)
    redis.call('LTRIM', wake .. head, 0, 0)
    redis.call('PEXPIRE', wake .. head, presence * 2)
  end
end
"""

# ARGV[4] lease ms, ARGV[5] our ticket (0 before we ever queued). Returns {acquired, owner
# PTTL ms, ticket}; a waiter keeps its ticket so a pruned-but-alive waiter regains its place.
_ACQUIRE = (
    """
-- Nobody queued and the lock free, on a first try: take it without the prelude's clock read
-- and pruning (the uncontended turn, nearly every one). A queue that exists has waiters.
if ARGV[5] == '0' and redis.call('EXISTS', KEYS[2]) == 0
   and redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[4]) then
  return {1, 0, 0}
end
"""
    + _PRELUDE
    + """
local lease, ticket = tonumber(ARGV[4]), tonumber(ARGV[5])
local holder = redis.call('GET', owner)
local head = redis.call('ZRANGE', queue, 0, 0)[1]
if not holder and (not head or head == token) then
  redis.call('SET', owner, token, 'PX', lease)
  if head then
    redis.call('ZREM', queue, token)
    redis.call('ZREM', timeouts, token)
  end
  if ticket > 0 then redis.call('DEL', wake .. token) end
  return {1, 0, ticket}
end
if not redis.call('ZSCORE', queue, token) then
  if ticket == 0 then
    local last = redis.call('ZRANGE', queue, -1, -1, 'WITHSCORES')[2]
    ticket = last and (tonumber(last) + 1) or 1
  end
  redis.call('ZADD', queue, ticket, token)
end
redis.call('ZADD', timeouts, now + presence, token)
redis.call('PEXPIRE', queue, presence * 2)
redis.call('PEXPIRE', timeouts, presence * 2)
-- The lock is free but the head has not come for it: it may be asleep until its next poll.
if not holder then wake_head() end
return {0, redis.call('PTTL', owner), ticket}
"""
)

# Also used to leave the queue after a timeout or cancellation: if the acquire reached Redis but
# its answer never reached us we may own the lock without knowing, and this drops it.
_RELEASE = (
    """
-- Nobody queued: compare-and-delete, and no one to wake (as below, without the prelude).
if redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('DEL', ARGV[2] .. ARGV[1])
  if redis.call('GET', KEYS[1]) == ARGV[1] then
    redis.call('DEL', KEYS[1])
    return 1
  end
  return 0
end
"""
    + _PRELUDE
    + """
local released = 0
if redis.call('GET', owner) == token then
  redis.call('DEL', owner)
  released = 1
end
redis.call('ZREM', queue, token)
redis.call('ZREM', timeouts, token)
redis.call('DEL', wake .. token)
if redis.call('EXISTS', owner) == 0 then wake_head() end
return released
"""
)


@dataclass(frozen=True)
class Script:
    """A Lua script's source and the SHA1 that EVALSHA names it by."""

    source: str
    sha: str

    @classmethod
    def of(cls, source: str) -> Script:
        """The script of `source`, with its SHA1."""
        return cls(source, hashlib.sha1(source.encode()).hexdigest())


# Extend the lease only while we still own the key.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

ACQUIRE_SCRIPT = Script.of(_ACQUIRE)
RENEW_SCRIPT = Script.of(_RENEW)
RELEASE_SCRIPT = Script.of(_RELEASE)
