"""Small value classes without :mod:`dataclasses`.

``csup hook`` imports the policy engine once per tool call, and importing ``dataclasses``
(which imports ``inspect``) and building each dataclass costs more start-up time than the
rest of the engine. A class deriving from :class:`Record` or :class:`Frozen` lists its fields
in ``__slots__`` (in constructor order) and writes its own ``__init__``; it gets what
``@dataclass(slots=True)`` (or ``frozen=True``) gave: ``__repr__`` as ``Name(a=1, b='x')``,
``__eq__`` between instances of the same class only, ``__match_args__``, pickling, and for
:class:`Frozen` ``__hash__`` and attributes that cannot be set or deleted
(:class:`dataclasses.FrozenInstanceError`, an :class:`AttributeError`).
"""

from __future__ import annotations

__all__ = ["Frozen", "Record"]


class Record:
    """A mutable record: fields in ``__slots__``, compared and shown field by field."""

    __slots__ = ()
    __hash__ = None  # type: ignore[assignment]  # mutable: unhashable, as a dataclass

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        cls.__match_args__ = tuple(cls.__slots__)  # type: ignore[attr-defined, misc]

    def _values(self) -> tuple[object, ...]:
        names: tuple[str, ...] = type(self).__slots__
        return tuple([getattr(self, name) for name in names])

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            assert isinstance(other, Record)
            return self._values() == other._values()
        return NotImplemented

    def __repr__(self) -> str:
        names: tuple[str, ...] = type(self).__slots__
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{type(self).__qualname__}({fields})"

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return _rebuild, (type(self), self._values())


def _rebuild(cls: type[Record], values: tuple[object, ...]) -> Record:
    """Unpickle a record field by field (its ``__init__`` may take keyword-only arguments)."""
    record = object.__new__(cls)
    names: tuple[str, ...] = cls.__slots__
    for name, value in zip(names, values, strict=True):
        object.__setattr__(record, name, value)
    return record


class Frozen(Record):
    """An immutable, hashable record (what ``@dataclass(frozen=True, slots=True)`` gave)."""

    __slots__ = ()

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(self._values())

    def __setattr__(self, name: str, value: object) -> None:
        from dataclasses import FrozenInstanceError  # noqa: PLC0415 - only when misused

        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        from dataclasses import FrozenInstanceError  # noqa: PLC0415 - only when misused

        raise FrozenInstanceError(f"cannot delete field {name!r}")
