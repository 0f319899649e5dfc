"""Sequences whose items are made on access from compact columns (arrays of offsets, ids held
as one string): at 100,000 items, Python objects for each cost tens of megabytes that the
columns do not."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar, overload

T = TypeVar("T")


class Rows(Sequence[T]):
    """A sequence whose items are made on access from compact columns: subclasses say how to
    make item ``i`` (``_at``); indexing from the end and slices are handled here."""

    __slots__ = ()

    def _at(self, i: int) -> T:
        raise NotImplementedError

    @overload
    def __getitem__(self, i: int) -> T: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[T]: ...
    def __getitem__(self, i: int | slice) -> T | Sequence[T]:
        if isinstance(i, slice):
            return [self._at(j) for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self._at(i)
