"""The CALL operator: run a procedure once per incoming row and bind what it yields."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..procedures import Procedure, check_argument, run_procedure
from ..runtime import Context
from .plan import to_output


@dataclass(frozen=True, slots=True)
class CallOp:
    """CALL inside a pipeline: run the procedure once per incoming row and bind what it yields.

    ``yields`` pairs the index of each output taken with the variable it binds.
    """

    procedure: Procedure
    arguments: tuple[Callable[[dict, Context], Any], ...]
    yields: tuple[tuple[int, str], ...]
    where: Callable[[dict, Context], Any] | None

    @property
    def bound(self) -> tuple[str, ...]:
        """The variables the call binds, in YIELD order."""
        return tuple(variable for _, variable in self.yields)

    def run(self, rows: Iterator[dict], ctx: Context) -> Iterator[dict]:
        """Extend each row by every row the procedure gives; a procedure without outputs passes it on."""
        procedure, yields, where = self.procedure, self.yields, self.where
        void = not procedure.signature.outputs
        for row in rows:
            arguments = [
                check_argument(procedure, index, to_output(evaluate(row, ctx), ctx))
                for index, evaluate in enumerate(self.arguments)
            ]
            results = run_procedure(procedure, arguments, ctx)
            if void:
                yield row
                continue
            for values in results:
                extended = row.copy()
                for index, variable in yields:
                    extended[variable] = values[index]
                if where is None or where(extended, ctx) is True:
                    yield extended

    def describe(self) -> list[str]:
        """Describe the operator for EXPLAIN."""
        return [f"Call {self.procedure.name} -> {', '.join(self.bound) or '(nothing)'}"]
