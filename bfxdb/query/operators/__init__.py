"""The operators a plan runs: reading (read, ordered), writing (write), CALL (call), shortest paths (paths), plan."""

from .call import CallOp
from .ordered import OrderedLimit
from .paths import FilterOp, OptionalOp, ShortestOp, ShortestPart
from .plan import Pipeline, QueryPlan, to_output
from .read import (
    AggregateSpec,
    CountedUnwind,
    CountPushdown,
    DirectReturn,
    IndexCommand,
    MatchOp,
    ProjectionOp,
    UnwindOp,
    decode_id,
    direct_property,
    fuse_counts,
)
from .write import CreateOp, CreatePart, DeleteOp, MergeOp, RemoveOp, SetOp

__all__ = [
    "AggregateSpec",
    "CallOp",
    "CountPushdown",
    "CountedUnwind",
    "CreateOp",
    "CreatePart",
    "DeleteOp",
    "DirectReturn",
    "FilterOp",
    "IndexCommand",
    "MatchOp",
    "MergeOp",
    "OptionalOp",
    "OrderedLimit",
    "Pipeline",
    "ProjectionOp",
    "QueryPlan",
    "RemoveOp",
    "SetOp",
    "ShortestOp",
    "ShortestPart",
    "UnwindOp",
    "decode_id",
    "direct_property",
    "fuse_counts",
    "to_output",
]
