"""A long report's rows held as columns, without a dict per row (no SQLAlchemy here: the CLI's
output module reads them and is loaded by commands that never touch the read models)."""

from collections.abc import Iterator, Sequence
from typing import Any


class ColumnRows(Sequence):
    """Rows as one sequence of values per column (name -> values, every column as long). They read
    as a report's list of dicts (len, index, iterate: each row a dict made when asked for), while
    a table is formatted from the columns themselves (grants.cli.output): `expiry` lists every
    funded position, 100,000 at a million events, and making a dict of each and taking the dicts
    apart again into columns for the table was a fifth of its time."""

    def __init__(self, columns: dict[str, Sequence[Any]]):
        self.columns = columns

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()), ()))

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return {name: values[index] for name, values in self.columns.items()}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        names = list(self.columns)
        return (dict(zip(names, values, strict=True)) for values in zip(*self.columns.values(), strict=True))

    def __eq__(self, other: object) -> bool:  # as the list of dicts it stands for
        return isinstance(other, Sequence) and not isinstance(other, str) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # equal to a list, so unhashable like one


class Coded(Sequence):
    """A column kept as its distinct values and, per row, the index of the row's value among them
    (dictionary encoding, as Arrow's dictionary arrays and pandas' categoricals). It reads as the
    column it stands for. Columns made with the same `codes` list are one group: a table writes
    the cells of a group once per distinct value and each line looks its group's up. `expiry`
    at a million events has 100,000 positions but a few hundred distinct (office, kommune,
    scheme, status, years): fetching their values row by row and padding each row's nine cells
    were half of the report."""

    def __init__(self, codes: Sequence[int], values: Sequence[Any]):
        self.codes, self.values = codes, values

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self.values[code] for code in self.codes[index]]
        return self.values[self.codes[index]]

    def __iter__(self) -> Iterator[Any]:
        return map(self.values.__getitem__, self.codes)
