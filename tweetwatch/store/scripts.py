"""Small Lua scripts that let one argument carry thousands of members.

redis-py encodes every argument in Python (about a microsecond each); a batch at full speed
has tens of thousands of ids, authors and words. Joined into one string per key, they cost
one `str.join` on our side and are split by the server (on its own core). Scripts run as
EVAL (never EVALSHA) inside MULTI, so a server restart can never make part of a transaction
fail with NOSCRIPT. Each script touches only the keys it is given (cluster-safe).
"""

from __future__ import annotations

from collections.abc import Iterable

SEP = "\n"
"""Member separator in joined arguments; members never contain it (see `join_members`)."""

ADD_MEMBERS = """
local cmd = ARGV[1]
local batch = {}
for member in string.gmatch(ARGV[2], "[^\\n]+") do
  batch[#batch + 1] = member
  if #batch == 4000 then
    redis.call(cmd, KEYS[1], unpack(batch))
    batch = {}
  end
end
if #batch > 0 then redis.call(cmd, KEYS[1], unpack(batch)) end
return 1
"""
"""SADD or PFADD (ARGV[1]) of the newline-joined members in ARGV[2] to KEYS[1]."""

INCR_WORDS = """
for word, count in string.gmatch(ARGV[1], "([^\\n ]+) (%d+)") do
  redis.call("ZINCRBY", KEYS[1], count, word)
end
return 1
"""
"""ZINCRBY KEYS[1] for each `word count` line in ARGV[1]."""

CREATE_GROUP = """
local reply = redis.pcall("XGROUP", "CREATE", KEYS[1], ARGV[1], "0", "MKSTREAM")
if type(reply) == "table" and reply.err and string.sub(reply.err, 1, 9) ~= "BUSYGROUP" then return reply end
return 1
"""
"""Consumer group ARGV[1] of stream KEYS[1], at the stream's start (created too), unless it
exists: as a script it can run inside MULTI, where a BUSYGROUP reply would fail the EXEC."""

FIND_SEEN = """
local seen = {}
for i = 1, #KEYS do
  for member in string.gmatch(ARGV[i], "[^\\n]+") do
    if redis.call("SISMEMBER", KEYS[i], member) == 1 then seen[#seen + 1] = member end
  end
end
return seen
"""
"""Members of ARGV[i] (newline-joined) already in set KEYS[i]; usually an empty list."""


def join_members(members: Iterable[str]) -> str:
    """Newline-joined members; a member containing the separator has it replaced by a space."""
    listed = members if isinstance(members, (list, tuple, set, frozenset)) else list(members)
    joined = SEP.join(listed)
    if not listed or joined.count(SEP) == len(listed) - 1:  # none holds SEP (ids never do): all in C
        return joined
    return SEP.join([m.replace(SEP, " ") for m in listed])

ROLL = """
local clock = redis.call("ZSCORE", KEYS[1], "clock")
if not clock then return 0 end
local clock_min = math.floor(tonumber(clock) / 60000)
local ttl = tonumber(ARGV[3])
for i = 5, #ARGV do
  local span = tonumber(ARGV[i])
  local roll = ARGV[2] .. span
  local mark_key = roll .. ":mark"
  local target = clock_min - span
  local mark = tonumber(redis.call("GET", mark_key))
  if not mark then
    redis.call("DEL", roll)
    for m = target + 1, clock_min do
      redis.call("ZUNIONSTORE", roll, 2, roll, ARGV[1] .. m, "WEIGHTS", 1, -1)
    end
    redis.call("ZREMRANGEBYSCORE", roll, 0, "+inf")
    mark = target
  elseif target > mark then
    if target - mark >= span then
      redis.call("DEL", roll)
    else
      for m = mark + 1, target do
        redis.call("ZUNIONSTORE", roll, 2, roll, ARGV[1] .. m)
      end
      redis.call("ZREMRANGEBYSCORE", roll, 0, "+inf")
    end
    mark = target
  end
  redis.call("SET", mark_key, mark, "EX", ttl)
  for m, count, word in string.gmatch(ARGV[4], "(%d+)\\t(%d+)\\t([^\\n]+)") do
    if tonumber(m) > mark then
      redis.call("ZINCRBY", roll, -tonumber(count), word)
    end
  end
  if redis.call("EXISTS", roll) == 1 then redis.call("EXPIRE", roll, ttl) end
end
return 1
"""
"""Keep rolling window sums of per-minute word sets, so a window's top list is one ZRANGE.

KEYS[1] is the clock (already advanced in this transaction). ARGV[1] is the per-minute set
prefix (the minute is appended), ARGV[2] the rolling set prefix (the span is appended; its
`:mark` holds the newest minute already subtracted), ARGV[3] a TTL backstop, ARGV[4] this
batch's `minute\\tcount\\tword` lines, ARGV[5..] spans in minutes. For each span the rolling
set holds *negated* counts (ZRANGE order = count descending, word ascending) summed over the
minutes (mark, clock_min], mark = clock_min - span. Minutes leaving the window are subtracted
by adding their per-minute set, so this must run *before* the batch's words are added to the
per-minute sets; then every minute is subtracted exactly once with exactly what was added.
A set without a mark (new, expired, or dropped by `Store.write_meta`) starts as the sum of
the per-minute sets already in its window, so it also counts what an earlier run wrote.
"""
