"""Plans are immutable: every plan and operator class is a frozen dataclass, so a cached plan is safe to share."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

import bfxdb.query
from bfxdb.query import operators, prepare
from bfxdb.query.compiler import MatchSpec
from bfxdb.query.sqlplan import MatchPlan, PropertyFilter

OPERATOR_CLASSES = [
    kind for _, kind in inspect.getmembers(operators, inspect.isclass) if kind.__module__.startswith(operators.__name__)
]
PLAN_CLASSES = [*OPERATOR_CLASSES, MatchSpec, MatchPlan, PropertyFilter, bfxdb.query.PreparedQuery]


@pytest.mark.parametrize("kind", PLAN_CLASSES, ids=lambda kind: kind.__name__)
def test_plan_classes_are_frozen_dataclasses(kind):
    assert dataclasses.is_dataclass(kind) and kind.__dataclass_params__.frozen
    assert "__slots__" in vars(kind)


def test_a_prepared_plan_cannot_be_changed():
    prepared = prepare("MATCH (n:Person) WHERE n.age > 3 RETURN n.name ORDER BY n.name")
    with pytest.raises(dataclasses.FrozenInstanceError):
        prepared.plan.pipelines = ()  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        prepared.plan.pipelines[0].ops[0].optional = True  # type: ignore[attr-defined]
