"""A secret value (bearer token, password) that never prints itself.

`str()`, `repr()` and f-strings show only a masked form such as `AAAA…wxyz`, so a Settings
object, a log line or a traceback cannot leak the token by accident. Use `.reveal()` at the
one place the real value is needed (the HTTP Authorization header).
"""

from __future__ import annotations


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value.strip()

    def reveal(self) -> str:
        return self._value

    def masked(self) -> str:
        value = self._value
        if len(value) <= 12:
            return "…" * min(len(value), 3)
        return f"{value[:4]}…{value[-4:]}"

    def __bool__(self) -> bool:
        return bool(self._value)

    def __str__(self) -> str:
        return self.masked()

    def __repr__(self) -> str:
        return f"Secret({self.masked()!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret is not picklable")
