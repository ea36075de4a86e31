"""The frozen data types built through a mutable twin (`models._quick_init`): the same values,
the same frozen, hashable, picklable objects a frozen dataclass's own __init__ makes."""

from __future__ import annotations

import dataclasses
import inspect
import pickle

import pytest

from depsentry.models import Dependency, Severity, Source, Vulnerability


def _slow(cls: type, **values: object) -> object:
    """`cls` filled field by field as a frozen dataclass's generated __init__ does."""
    obj = object.__new__(cls)
    for f in dataclasses.fields(cls):
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        object.__setattr__(obj, f.name, values.get(f.name, default))
    return obj


FINDING = {
    "package": "django", "version": "3.2", "id": "PYSEC-2021-1", "aliases": ("CVE-2021-1",),
    "severity": Severity.HIGH, "cvss": 7.5, "fixed_in": ("3.2.1",), "summary": "s",
    "source": Source("requirements.txt", 3), "kev": True, "codemods": ("openai-v1",),
}  # fmt: skip
PIN = {"name": "django", "version": "3.2", "direct": True, "source": Source("a.txt", 1)}


@pytest.mark.parametrize(("cls", "values"), [(Vulnerability, FINDING), (Dependency, PIN)])
def test_built_quickly_as_a_frozen_dataclass_builds_it(
    cls: type, values: dict[str, object]
) -> None:
    built = cls(**values)
    reference = _slow(cls, **values)
    assert type(built) is cls
    assert built == reference and hash(built) == hash(reference) and repr(built) == repr(reference)
    assert all(
        getattr(built, f.name) == getattr(reference, f.name) for f in dataclasses.fields(cls)
    )
    positional = [getattr(reference, f.name) for f in dataclasses.fields(cls) if f.init]
    assert cls(*positional) == built
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.version = "9"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del built.version  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(built)) == built
    assert dataclasses.replace(built, version="4.0") == cls(**{**values, "version": "4.0"})
    assert list(inspect.signature(cls).parameters) == [
        f.name for f in dataclasses.fields(cls) if f.init
    ]


def test_defaults_and_a_bad_call_read_as_the_class_itself() -> None:
    pin = Dependency("x", "1", False, Source("r.txt"))
    assert (pin.extras, pin.hashes, pin.pinned, pin.groups) == ((), (), True, ())
    assert Vulnerability(**FINDING).origin is None  # init=False: its default
    with pytest.raises(TypeError, match=r"^Dependency\.__init__\(\) missing"):
        Dependency("x")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword argument 'nope'"):
        Dependency("x", "1", True, Source("r.txt"), nope=1)  # type: ignore[call-arg]


def test_a_copy_for_another_pin_keeps_its_template() -> None:
    finding = Vulnerability(**FINDING)
    copy = finding.at(Source("other.txt", 9))
    assert copy.origin is finding and copy.template is finding and finding.template is finding
    assert copy == dataclasses.replace(finding, source=Source("other.txt", 9))
    assert copy.at(Source("third.txt")).origin is finding
    assert finding.at(finding.source) is finding
