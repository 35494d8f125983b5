"""The public API: every name `bfxdb` exports is documented and fully annotated."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator

import pytest

import bfxdb


def _public_callables() -> Iterator[tuple[str, Callable]]:
    """Every exported function, and every public method and property of every exported class."""
    for name in bfxdb.__all__:
        value = getattr(bfxdb, name)
        if inspect.isclass(value):
            if issubclass(value, BaseException):
                continue
            for member, attribute in vars(value).items():
                if member.startswith("_") and member != "__init__":
                    continue
                if isinstance(attribute, (staticmethod, classmethod)):
                    attribute = attribute.__func__
                if isinstance(attribute, property):
                    attribute = attribute.fget
                if inspect.isfunction(attribute):
                    yield f"{name}.{member}", attribute
        elif inspect.isfunction(value):
            yield name, value


PUBLIC = dict(_public_callables())


def test_the_public_api_is_found():
    assert {"connect", "Database.query", "Database.create_substrate", "Result.single"} <= PUBLIC.keys()


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_every_public_callable_is_fully_annotated(name):
    function = PUBLIC[name]
    annotations = function.__annotations__
    signature = inspect.signature(function)
    unannotated = [p.name for p in signature.parameters.values() if p.name not in ("self", "cls", *annotations)]
    assert not unannotated, f"{name}: parameters without a type: {unannotated}"
    if not name.endswith("__init__"):
        assert "return" in annotations, f"{name} has no return type"


@pytest.mark.parametrize("name", sorted(name for name in PUBLIC if not name.endswith("__init__")))
def test_every_public_callable_says_what_it_does(name):
    assert inspect.getdoc(PUBLIC[name]), f"{name} has no docstring"


def test_every_exported_name_exists_and_the_version_is_a_string():
    missing = [name for name in bfxdb.__all__ if not hasattr(bfxdb, name)]
    assert not missing
    assert isinstance(bfxdb.__version__, str) and bfxdb.__version__.count(".") >= 1
