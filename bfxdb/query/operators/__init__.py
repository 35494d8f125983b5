"""The operators a plan runs: read, ordered, write, call, paths, subquery, sources (LOAD CSV, SHOW), plan."""

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
    LiteralCount,
    MatchOp,
    ProjectionOp,
    UnwindOp,
    decode_column,
    decode_id,
    direct_property,
    fuse_counts,
)
from .schema import ConstraintCommand, FulltextIndexCommand, VectorIndexCommand
from .sources import LoadCsvOp, ShowOp
from .subquery import ForeachOp, InTransactionsOp, SubqueryBody, SubqueryOp
from .write import CreateOp, CreatePart, DeleteOp, MergeOp, RemoveOp, SetOp

__all__ = [
    "AggregateSpec",
    "CallOp",
    "ConstraintCommand",
    "FulltextIndexCommand",
    "CountPushdown",
    "CountedUnwind",
    "CreateOp",
    "CreatePart",
    "DeleteOp",
    "DirectReturn",
    "FilterOp",
    "ForeachOp",
    "InTransactionsOp",
    "IndexCommand",
    "LiteralCount",
    "LoadCsvOp",
    "MatchOp",
    "MergeOp",
    "OptionalOp",
    "OrderedLimit",
    "Pipeline",
    "ProjectionOp",
    "QueryPlan",
    "RemoveOp",
    "SetOp",
    "ShowOp",
    "SubqueryBody",
    "SubqueryOp",
    "ShortestOp",
    "ShortestPart",
    "UnwindOp",
    "VectorIndexCommand",
    "decode_column",
    "decode_id",
    "direct_property",
    "fuse_counts",
    "to_output",
]
