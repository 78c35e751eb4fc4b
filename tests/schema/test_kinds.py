"""The field-kind registry: every kind has a complete spec that every back end asks."""

from __future__ import annotations

import inspect
import json
from typing import Any

import attrs
import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brevetti_schema import (
    Field,
    Kind,
    Option,
    SchemaBuilder,
    SchemaError,
    resolve_settings,
    schema_from_class,
    setting,
    structure,
)
from brevetti_schema._authoring.platform_ui_records import record_kind
from brevetti_schema._emit.classes.codegen import generate_source
from brevetti_schema._emit.format_schema import FIELD_OPTIONS, KIND_OPTIONS
from brevetti_schema._emit.platform_ui import field_record
from brevetti_schema._kinds import (
    COMMON_OPTIONS,
    KIND_ATTRIBUTES,
    LIST_ITEM_KINDS,
    REGISTRY,
    KindSpec,
    UIPart,
    UIRecord,
)
from brevetti_schema._kinds._transport import decode_value, encode_value
from brevetti_schema._kinds.checks import check_schema
from brevetti_schema._model.nodes import Schema
from brevetti_schema._model.secret import MASK, Secret
from tests.strategies import VALUES, value_for

SPECS = list(REGISTRY.values())


def _sample(kind: Kind) -> Field:
    """A field of `kind` with the attributes its kind needs."""
    extra: dict[str, Any] = {}
    if kind in (Kind.CHOICE, Kind.MULTI_CHOICE):
        extra["options"] = (Option("a"), Option("b", "Bee"))
    if kind is Kind.LIST:
        extra["item_kind"] = Kind.INTEGER
    return Field(kind, "f", "F", **extra)


def test_every_kind_has_one_spec() -> None:
    assert list(REGISTRY) == list(Kind)
    assert all(s.kind is k for k, s in REGISTRY.items())
    assert set(VALUES) == set(REGISTRY), "tests/strategies.py needs a value strategy per kind"


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.kind.value)
def test_spec_is_complete(spec: KindSpec) -> None:
    for attribute in attrs.fields(KindSpec):
        value = getattr(spec, attribute.name)
        if attribute.name == "annotation":  # only a kind a plain annotation declares has one
            assert value is None or isinstance(value, type)
            continue
        if attribute.name == "structure":  # the structuring hook of that plain annotation
            assert (value is None) == (spec.annotation is None) and (
                value is None or callable(value)
            )
            continue
        if attribute.name == "unstructure":  # only for that plain annotation, if any
            assert value is None or (spec.annotation is not None and callable(value))
            continue
        assert value is not None and value != "", attribute.name
        if attribute.name == "ui_records":  # the forms of platform UI record it reads from
            assert isinstance(value, tuple) and value, attribute.name
            assert all(isinstance(form, UIRecord) and form.type for form in value)
            assert all(bool(form.input_types) == (form.type == "input") for form in value)
            continue
        if attribute.name not in ("kind", "options", "type_name", "help"):
            assert callable(value), attribute.name
            assert inspect.signature(value).parameters, attribute.name
    assert spec.options <= set(KIND_ATTRIBUTES)
    assert spec.help.endswith(".")
    # the YAML front end takes no option the kind does not take
    attribute_of = {o.name: o.attr for o in FIELD_OPTIONS.values()} | {"of": "item_kind"}
    yaml_specific = {attribute_of[n] for n in KIND_OPTIONS[spec.kind]} - COMMON_OPTIONS - {"label"}
    assert yaml_specific <= spec.options
    # an into= class holds the kind's values in the type its generated classes declare,
    # not in an unrelated one (a JSON value: any annotation may describe it)
    field = _sample(spec.kind)
    assert spec.misfit(field, [spec.python_type(field)]) is None
    refused = spec.misfit(field, [complex])
    assert (refused is None) == (spec.kind is Kind.JSON), refused
    assert refused is None or "this is" in refused or "option" in refused


@pytest.mark.parametrize(
    "spec", [s for s in SPECS if s.annotation is not None], ids=lambda s: s.kind.value
)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_a_plain_annotation_declares_its_kind(spec: KindSpec, data: st.DataObject) -> None:
    """A class-first class declares the kind by its annotation (the kinds say which), and
    a list of it when a list may hold it; the class's own type holds the values."""
    assert spec.annotation is not None
    annotations = {"one": spec.annotation, "many": list[spec.annotation]}
    declared = attrs.frozen(type("Declared", (), {"__annotations__": annotations}))
    if spec.kind not in LIST_ITEM_KINDS:
        with pytest.raises(SchemaError, match="many"):
            schema_from_class(declared)
        declared = attrs.frozen(type("Declared", (), {"__annotations__": {"one": spec.annotation}}))
    schema = schema_from_class(declared)
    one = schema.find("one")
    assert isinstance(one, Field) and one.kind is spec.kind
    assert spec.python_type(one) is spec.annotation
    many = schema.find("many")
    if spec.kind in LIST_ITEM_KINDS:
        assert isinstance(many, Field) and many.kind is Kind.LIST and many.item_kind is spec.kind
    # the settings classes structure a valid value into that type, and refuse another
    assert spec.structure is not None
    sample = _sample(spec.kind)
    assert isinstance(
        spec.structure(data.draw(value_for(sample)), spec.annotation), spec.annotation
    )
    with pytest.raises(TypeError):
        spec.structure(object(), spec.annotation)
    # and unstructure it into a plain value, masking a secret unless revealing
    held = spec.structure(data.draw(value_for(sample)), spec.annotation)
    if spec.unstructure is None:
        assert spec.kind is not Kind.SECRET
    else:
        assert isinstance(held, Secret)
        assert spec.unstructure(True)(held) == held.reveal()
        assert spec.unstructure(False)(held) == MASK


@pytest.mark.parametrize(
    "spec", [s for s in SPECS if s.annotation is not None], ids=lambda s: s.kind.value
)
def test_generated_source_names_a_plain_type_as_its_kind_says(spec: KindSpec) -> None:
    """Codegen writes the kind's type by `type_name` (imported when it is ours), and the
    module it writes declares the kind's annotation."""
    assert spec.annotation is not None
    field = attrs.evolve(_sample(spec.kind), required=True)
    source = generate_source(Schema(children=(field,)))
    assert f"    f: {spec.type_name}\n" in source
    ours = spec.annotation.__module__ == "brevetti_schema"
    assert (f"from brevetti_schema import {spec.type_name}\n" in source) == ours
    namespace: dict[str, Any] = {}
    exec(compile(source, "<generated>", "exec"), namespace)
    (attribute,) = attrs.fields(attrs.resolve_types(namespace["Settings"], namespace))
    assert attribute.type is spec.annotation


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.kind.value)
def test_the_ui_record_a_kind_writes_is_one_of_its_forms(spec: KindSpec) -> None:
    """The platform UI loader reads the record a kind writes back as that kind, and no
    other kind's forms of record claim it (the loader asks the kinds, in turn)."""
    for field in (_sample(spec.kind), attrs.evolve(_sample(spec.kind), required=True)):
        record = field_record(field, "f")
        assert record_kind(0, record) is spec.kind
        extension = record.get("brevetti", {})
        claims = {
            s.kind
            for s in SPECS
            for form in s.ui_records
            if form.type == record["type"]
            and (not form.input_types or record.get("inputType", "text") in form.input_types)
            and form.criterion == record.get("criterionType")
            and form.fits(record, extension)
        }
        assert claims == {spec.kind}, record


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.kind.value)
def test_allowed_words_come_from_the_kind(spec: KindSpec) -> None:
    """A kind that takes bounds or options words them for the defaults YAML; the defaults
    back end keeps no table of its own."""
    words = {"minimum": 1, "maximum": 9, "multiple_of": 2}
    options = (Option("a"), Option(2, "two"))
    changes: dict[str, Any] = {}
    if "minimum" in spec.options:
        changes |= words
    if "options" in spec.options:
        changes["options"] = options
    if spec.kind is Kind.LIST:
        changes["item_kind"] = Kind.INTEGER
    field = Field(spec.kind, "x", "X", **changes)
    said = spec.allowed(field, repr)
    if "minimum" in spec.options:
        assert said is not None and said.startswith("Allowed: >= 1, <= 9, a multiple of 2")
    elif "options" in spec.options:
        assert said is not None and said.endswith(": 'a', 2 (two)")
    else:
        assert said is None


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.kind.value)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_spec_parts_agree(spec: KindSpec, data: st.DataObject) -> None:
    field = _sample(spec.kind)
    value = data.draw(value_for(field))
    # a valid value: no issues, valid under its JSON Schema fragment, a round trip by transport
    assert spec.check(field, value) == []
    fragment = spec.json_schema(field, "f")
    jsonschema.Draft202012Validator(fragment).validate(json.loads(json.dumps(value)))
    sent = encode_value(field, value)
    if isinstance(sent, str) and spec.decodes(field) and sent != "":
        assert decode_value(field, sent) == value
    if not spec.decodes(field):  # the validator takes any string as it is
        text = data.draw(st.text(max_size=5))
        assert spec.decode(field, text) == text
    part = spec.ui_part(field)
    assert isinstance(part, UIPart) and isinstance(part.head.get("type"), str)
    assert spec.python_type(field) is not None


def test_json_transport_by_kind() -> None:
    """The platform form sends lists, JSON values and class lists as JSON text, a choice
    only when some option is not text; such a string is decoded, a text is taken as is."""

    def is_json(field: Field) -> bool:
        return REGISTRY[field.kind].ui_part(field).head.get("isJson") is True

    numbers = Field(Kind.CHOICE, "a", "A", options=(Option(1), Option(2)))
    texts = Field(Kind.CHOICE, "a", "A", options=(Option("x"),))
    assert is_json(Field(Kind.LIST, "a", "A", item_kind=Kind.INTEGER))
    assert is_json(numbers) and REGISTRY[Kind.CHOICE].decodes(numbers)
    assert not is_json(texts) and not REGISTRY[Kind.CHOICE].decodes(texts)
    assert not is_json(Field(Kind.TEXT, "a", "A"))
    assert not REGISTRY[Kind.TEXT].decodes(Field(Kind.TEXT, "a", "A"))


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.kind.value)
def test_a_wrong_value_has_a_code(spec: KindSpec) -> None:
    field = _sample(spec.kind)
    wrong = object()
    issues = spec.check(field, wrong)
    assert issues and all(code and message for code, message, _ in issues)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.kind.value)
def test_options_that_do_not_apply_are_refused(spec: KindSpec) -> None:
    field = _sample(spec.kind)
    assert not [p for p in check_schema(Schema(children=(field,))) if p.severity == "error"]
    for name in sorted(set(KIND_ATTRIBUTES) - spec.options):
        value: Any = {"multiline": True, "options": (Option(1),), "item_kind": Kind.TEXT,
                      "json_schema": {"type": "array"}, "pattern": "x"}.get(name, 3)  # fmt: skip
        wrong = attrs.evolve(field, **{name: value})
        problems = check_schema(Schema(children=(wrong,)))
        assert any("not apply" in p.message for p in problems), name


def test_class_first_refuses_an_option_of_another_kind() -> None:
    @attrs.frozen
    class Settings:
        flag: bool = setting(True, min=3, pattern="x")

    with pytest.raises(SchemaError, match="minimum, pattern do not apply to a field of kind"):
        schema_from_class(Settings)


def test_builder_refuses_an_option_of_another_kind() -> None:
    with pytest.raises(SchemaError, match="minimum"):
        SchemaBuilder().boolean("flag", minimum=3).build()


_OPTION_LISTS = st.lists(
    st.one_of(
        st.booleans(),
        st.integers(-5, 5),
        st.sampled_from([0.5, 1.0, 2.0, -3.0]),
        st.text(min_size=1, max_size=2),
    ),
    min_size=1,
    max_size=5,
    unique_by=repr,
)


@settings(max_examples=60, deadline=None)
@given(_OPTION_LISTS, st.data())
def test_a_choice_holds_the_option_it_is(values: list[Any], data: st.DataObject) -> None:
    """The settings object holds the option itself, also when the value given only equals
    it (``1.0`` for the option ``1``), item by item for a multi-choice; where the choice
    is typed as a ``Literal`` (no float option) the class converters make the same."""
    option = data.draw(st.sampled_from(values))
    given = option
    if type(option) in (int, float):
        alias = float(option) if type(option) is int else int(option)
        given = data.draw(st.sampled_from([option, alias] if alias == option else [option]))
    held = next((v for v in values if (type(v), v) == (type(given), given)), option)
    schema = (
        SchemaBuilder().choice("one", options=values).multi_choice("many", options=values).build()
    )
    raw = {"one": given, "many": [given]}
    results = [resolve_settings(schema, raw).settings]
    if not any(type(v) is float for v in values):
        results.append(structure(schema, raw))
    for settings_object in results:
        assert (type(settings_object.one), settings_object.one) == (type(held), held)
        assert [(type(v), v) for v in settings_object.many] == [(type(held), held)]
