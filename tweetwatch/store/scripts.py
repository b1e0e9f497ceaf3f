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
    return SEP.join([m.replace(SEP, " ") if SEP in m else m for m in members])
