"""Reading governed documents (taxonomy, profiles, agreements): YAML in, JSON-compatible data out.

Shared by the vocabulary and agreements loaders so every document reports its problems the same way: one
:class:`~comity.errors.FieldError` per problem, with a path such as ``parties[1].jurisdiction``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from comity.errors import FieldError, InvalidInput

#: The path naming a whole document (a YAML syntax error, a document that is not a mapping).
ROOT = "$"

#: A document as it arrives: a file path, YAML (or JSON) text, or data already parsed.
Source = Path | str | Mapping[str, Any]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


class _StrictLoader(yaml.SafeLoader):
    """YAML 1.2-like safe loading for legal documents.

    Dates stay strings (the schema checks their format, and content stays JSON), only true/false are
    booleans (YAML 1.1 would read the country code ``NO`` as false), and duplicate keys are an error
    rather than the last one silently winning.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Build a mapping, refusing a key that appears twice."""
        seen: set[Any] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_StrictLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in {"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool"}
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def parse_yaml(text: str, *, origin: str = "document") -> Any:
    """Parse YAML (JSON is YAML) strictly; a syntax error is an :class:`InvalidInput` on the root path."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{origin} is not valid YAML", [FieldError(ROOT, _yaml_message(exc))]) from exc


def _yaml_message(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is not None:
        return f"{problem} (line {mark.line + 1}, column {mark.column + 1})"
    return str(problem)


def read_source(source: Source, *, what: str, str_paths: bool = True) -> tuple[dict[str, Any], str]:
    """Read ``source`` into a JSON-compatible mapping; also return a label naming where it came from.

    A ``str`` is a file path when it is one line naming an existing file, otherwise document text. Input
    from the network must pass ``str_paths=False`` so a string is only ever text, never a server file.
    """
    if isinstance(source, Mapping):
        data: Any = _jsonable(source)
        origin = what
    else:
        path: Path | None = None
        if isinstance(source, Path):
            path = source
        elif str_paths and "\n" not in source and len(source) < 4096 and Path(source).is_file():
            path = Path(source)
        if path is not None:
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise InvalidInput(f"cannot read {path}", [FieldError(ROOT, str(exc))]) from exc
            origin = str(path)
        else:
            text = str(source)
            origin = what
        data = parse_yaml(text, origin=origin)
    if not isinstance(data, dict):
        raise InvalidInput(
            f"{origin} is not a {what}", [FieldError(ROOT, f"expected a mapping, got {_type_name(data)}")]
        )
    return data, origin


def _jsonable(value: Any) -> Any:
    """Copy ``value`` into plain JSON types; dates become ISO strings (callers may pass parsed YAML)."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _type_name(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


@cache
def load_schema(package: str, name: str) -> dict[str, Any]:
    """A JSON Schema shipped as package data (``<package>/schema/<name>``)."""
    text = resources.files(package).joinpath("schema", name).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return schema


@cache
def _validator(package: str, name: str) -> Draft202012Validator:
    return Draft202012Validator(load_schema(package, name), format_checker=FormatChecker())


def schema_errors(package: str, name: str, instance: Any) -> list[FieldError]:
    """Every JSON Schema violation of ``instance``, one :class:`FieldError` per offending field."""
    found: list[FieldError] = []
    for error in _validator(package, name).iter_errors(instance):
        found.extend(_field_errors(error))
    return sorted(set(found), key=lambda e: (e.path, e.message))


def _field_errors(error: ValidationError) -> Iterable[FieldError]:
    base = list(error.absolute_path)
    instance = error.instance
    if "propertyNames" in error.absolute_schema_path and isinstance(instance, str):
        base.append(instance)  # a bad key: name the key itself, not the object holding it
    # Point at the missing or unexpected field itself, not at the object that lacks or has it.
    if error.validator == "required" and isinstance(instance, dict):
        required = error.validator_value if isinstance(error.validator_value, list) else []
        for name in required:
            if name not in instance:
                yield FieldError(field_path([*base, name]), "required")
        return
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        schema = error.schema if isinstance(error.schema, dict) else {}
        known = set(schema.get("properties", {}))
        patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
        for name in instance:
            if name not in known and not any(p.search(name) for p in patterns):
                yield FieldError(field_path([*base, name]), "not a field of this document")
        return
    yield FieldError(field_path(base), _message(error))


def _message(error: ValidationError) -> str:
    """jsonschema's message, made readable where it would print a regular expression or a whole list."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "pattern" and "description" in schema:
        return f"{error.instance!r} is not valid: expected {schema['description']}"
    if error.validator in {"minItems", "minProperties"}:
        unit = "item" if error.validator == "minItems" else "entry"
        count = error.validator_value
        return f"needs at least {count} {unit}{'s' if count != 1 else ''}"
    return error.message


def field_path(parts: Sequence[str | int]) -> str:
    """Render ``["parties", 1, "jurisdiction"]`` as ``parties[1].jurisdiction``; ``[]`` as the root."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENTIFIER.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out or ROOT


def raise_if(errors: Sequence[FieldError], *, origin: str, what: str) -> None:
    """Raise one :class:`InvalidInput` carrying every problem found, if there is any."""
    if errors:
        count = len(errors)
        raise InvalidInput(
            f"{origin}: invalid {what} ({count} problem{'s' if count != 1 else ''})",
            sorted(errors, key=lambda e: e.path),
        )
