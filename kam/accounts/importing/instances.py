"""Unsaved model instances for the importer, built and checked fast.

`Builder` makes what `Model(**values)` makes, at a fifth of the cost; `full_clean` runs the
model's `full_clean()` on the fields a row set, and checks choice fields (a country is one of
250) once per distinct value. Both do exactly what the ORM would. (Writing them in bulk is
`kam.core.bulk`.)
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import signals
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute

_MEMO_SIZE = 256  # choice verdicts remembered

_CHOICE_MEMO: dict[tuple[str, str, type, Any], list[str] | None] = {}


def full_clean(instance: models.Model, *, names: Iterable[str], exclude: Iterable[str]) -> None:
    """`instance.full_clean()` over the fields in `names` (not those in `exclude`).

    A choice field's verdict depends on its value alone, so it is computed once per value."""
    model = instance._meta.model
    skip, choice_fields, unique, checked = _plan(model, frozenset(names), frozenset(exclude))
    errors: dict[str, list[str]] = {}
    for field in choice_fields:
        problem = _check_choice(instance, field)
        if problem:
            errors[field.name] = problem
    try:
        if checked is not None:
            _clean_fields(instance, checked)
        else:
            # Without unique rules, validate_unique would only look the (unset) pk up.
            instance.full_clean(exclude=skip, validate_unique=unique)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)


def _clean_fields(instance: models.Model, fields: list[_Checked]) -> None:
    """`Model.clean_fields()` over `fields` alone (its loop, without walking every field).

    A field that is not a relation judges a value by the value alone: the verdict on a text
    (names, titles, cities repeat) is remembered per field, a bounded number of them."""
    errors: dict[str, Any] = {}
    for field, attname, blank, empty_values, plain_json, memo in fields:
        raw = getattr(instance, attname)
        if blank and raw in empty_values:
            continue
        kind = type(raw)
        if plain_json and kind is list and all(type(v) is str for v in raw):
            continue  # a list of texts: JSONField.clean() gives it back as it is
        key = (kind, raw) if memo is not None and kind in _MEMO_TYPES else None
        known = memo.get(key) if key is not None else None  # type: ignore[union-attr]
        if known is None:
            try:
                known = (field.clean(raw, instance), None)
            except ValidationError as error:
                known = (None, error.error_list)
            if key is not None:
                if len(memo) >= _FIELD_MEMO_SIZE:  # type: ignore[arg-type]
                    memo.clear()  # type: ignore[union-attr]
                memo[key] = known  # type: ignore[index]
        cleaned, problem = known
        if problem is not None:
            errors[field.name] = problem
        else:
            setattr(instance, attname, cleaned)
    if errors:
        raise ValidationError(errors)


# A field to check, with what the check needs of it, looked up once: the field, its attname,
# blank, its empty values, whether it is a plain JSONField, its verdict memo (None: a relation).
_Checked = tuple[
    models.Field[Any, Any], str, bool, Any, bool, "dict[tuple[type, Any], tuple[Any, Any]] | None"
]


def _checked(field: models.Field[Any, Any]) -> _Checked:
    memo = None if field.is_relation else _FIELD_MEMO.setdefault(field, {})
    return (field, field.attname, field.blank, field.empty_values, _plain_json(field), memo)


@lru_cache(maxsize=256)
def _plain_json(field: models.Field[Any, Any]) -> bool:
    """A JSONField that checks no more than that a value can be written as JSON."""
    return (
        type(field) is models.JSONField
        and field.encoder is None
        and not field.validators
        and not field.choices
        and not field.null
    )


_FIELD_MEMO: dict[models.Field[Any, Any], dict[tuple[type, Any], tuple[Any, Any]]] = {}
_FIELD_MEMO_SIZE = 2_000
_MEMO_TYPES = frozenset([str, int, bool])


@lru_cache(maxsize=64)
def _plan(
    model: type[models.Model], names: frozenset[str], exclude: frozenset[str]
) -> tuple[list[str], list[models.Field[Any, Any]], bool, list[_Checked] | None]:
    """For full_clean: the fields to leave to the choice memo or out, whether the model has
    unique rules to check, and, when field checks are all there is (no constraints, no
    clean() of its own: full_clean() would add nothing to clean_fields()), the fields to check."""
    wanted = names - exclude
    fields = [f for f in model._meta.concrete_fields if not f.generated]
    skip = [f.name for f in fields if f.name not in wanted or f.choices]
    choice_fields = [f for f in fields if f.name in wanted and f.choices]
    unique = has_unique_rules(model)
    plain = not unique and model.clean is models.Model.clean
    checked = [_checked(f) for f in fields if f.name in wanted and not f.choices] if plain else None
    return skip, choice_fields, unique, checked


def _check_choice(instance: models.Model, field: models.Field[Any, Any]) -> list[str] | None:
    """The field's verdict on the instance's value, remembered per stored value (what the
    instance holds: reading it may build an object per read, a Country from its code)."""
    stored = vars(instance).get(field.attname)
    key = (instance._meta.label, field.name, type(stored), stored)
    try:
        return _CHOICE_MEMO[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable value: judged every time
        return _choice_verdict(instance, field)
    verdict = _CHOICE_MEMO[key] = _choice_verdict(instance, field)
    if len(_CHOICE_MEMO) > _MEMO_SIZE:
        _CHOICE_MEMO.clear()
    return verdict


def _choice_verdict(instance: models.Model, field: models.Field[Any, Any]) -> list[str] | None:
    raw = getattr(instance, field.attname)
    try:
        if not (field.blank and raw in field.empty_values):
            field.clean(raw, instance)
    except ValidationError as error:
        return list(error.messages)
    return None


class Builder:
    """Unsaved instances of a model built from {attname: value}, the other fields at their
    defaults: what `Model(**values)` gives, at a fraction of the cost.

    Where `Model.__init__` would only store each value in the instance and run the fields'
    descriptors (no init signals), the instance is filled directly and only the fields whose
    descriptor converts what it is given (a CountryField's) are set through it."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        fields = model._meta.concrete_fields
        self.attnames = [f.attname for f in fields]
        self.index = {f.attname: i for i, f in enumerate(fields)}
        self.index.update({f.name: i for i, f in enumerate(fields) if not f.is_relation})
        made = [f.has_default() and callable(f.default) for f in fields]
        self.defaults = [None if m else f.get_default() for f, m in zip(fields, made, strict=True)]
        self.factories = [(i, f.get_default) for i, f in enumerate(fields) if made[i]]
        self.converting = [
            (i, f.attname) for i, f in enumerate(fields) if not _stores_as_is(model, f.attname)
        ]
        # Filled directly (the converting fields through their descriptors), not by __init__.
        self.fillable = model.__init__ is models.Model.__init__ and not (
            signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model)
        )
        # Every value stored as it is given.
        self.direct = self.fillable and not self.converting

    def __call__(self, values: Mapping[str, Any]) -> Any:
        args = list(self.defaults)
        for i, make in self.factories:
            args[i] = make()
        index = self.index
        try:
            for name, value in values.items():
                args[index[name]] = value
        except KeyError:  # a relation by name, or no field at all: as the model takes it
            return self.model(**values)
        if not self.fillable:
            return self.model(*args)
        instance = self.model.__new__(self.model)
        instance._state = ModelState()
        state = instance.__dict__
        state.update(zip(self.attnames, args, strict=True))
        for i, attname in self.converting:
            del state[attname]  # the descriptor decides what is stored, and where
            setattr(instance, attname, args[i])
        return instance


def _stores_as_is(model: type[models.Model], attname: str) -> bool:
    """Whether setting `attname` on a new instance only stores the value (Django's own
    descriptors for plain columns and foreign-key ids do; a CountryField's converts)."""
    descriptor = inspect.getattr_static(model, attname, None)
    return type(descriptor) in (DeferredAttribute, ForeignKeyDeferredAttribute)


def has_unique_rules(model: type[models.Model]) -> bool:
    """Whether saving a new row could break a unique rule or constraint (the pk aside)."""
    meta = model._meta
    return bool(
        meta.constraints
        or meta.unique_together
        or any(f.unique and not f.primary_key for f in meta.concrete_fields)
    )
