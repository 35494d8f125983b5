"""The operators whose rows come from outside the graph: LOAD CSV's file and a SHOW command's listing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..csvfiles import read_rows, resolve
from ..runtime import Context
from ..show import ShowTarget
from .plan import to_output


@dataclass(frozen=True, slots=True)
class LoadCsvOp:
    """``LOAD CSV``: per incoming row, extend it by each record of the file its URL names.

    Records are read as they are pulled, so a LIMIT downstream stops the reading and the file is
    never held whole. Without headers a record is a list of strings; with them a map from the first
    record's names (a missing field is null, one past the names is dropped). Empty fields are null.
    """

    source: Callable[[dict, Context], Any]
    variable: str
    headers: bool
    terminator: str

    def run(self, rows: Iterator[dict], ctx: Context) -> Iterator[dict]:
        """Yield each incoming row once per record of its file, the record bound to the variable."""
        variable = self.variable
        for row in rows:
            url = to_output(self.source(row, ctx), ctx)
            records = read_rows(resolve(url, ctx.import_dir), self.terminator, url)
            try:
                names = next(records, None) if self.headers else None
                if self.headers and names is None:
                    continue
                for fields in records:
                    ctx.tick()
                    extended = row.copy()
                    if names is None:
                        extended[variable] = fields
                    else:
                        extended[variable] = {
                            name or "": fields[index] if index < len(fields) else None
                            for index, name in enumerate(names)
                        }
                    yield extended
            finally:
                records.close()

    def describe(self) -> list[str]:
        """Describe the operator for EXPLAIN."""
        headers = " WITH HEADERS" if self.headers else ""
        return [f"LoadCsv{headers} -> {self.variable} (FIELDTERMINATOR {self.terminator!r})"]


@dataclass(frozen=True, slots=True)
class ShowOp:
    """The rows of ``SHOW <target>``, each with every column of the target bound (null where it gives none)."""

    target: ShowTarget
    argument: str | None
    catalogue: Any

    def run(self, rows: Iterator[dict], ctx: Context) -> Iterator[dict]:
        """Yield the target's rows after each incoming row (a SHOW command has the one empty row)."""
        columns = self.target.columns
        for row in rows:
            for entry in self.target.rows(ctx, self.catalogue, self.argument):
                ctx.tick()
                extended = row.copy()
                for column in columns:
                    extended[column] = entry.get(column)
                yield extended

    def describe(self) -> list[str]:
        """Describe the operator for EXPLAIN."""
        named = f" {self.argument}" if self.argument is not None else ""
        return [f"Show {self.target.name}{named} -> {', '.join(self.target.columns)}"]
