"""The reference for tests/settings.rs: what pydantic-settings itself accepts.

Usage: oracle.py ROOT MODULE CLASS [PROBE_NAME | PROBE_NAME=VALUE ...]

Imports MODULE (with ROOT on sys.path) and prints JSON:
  names:    every environment variable name pydantic-settings maps to a field,
            derived from pydantic's own objects (model_fields, the settings
            source's _extract_field_info, the nested models' fields), each with
            the field path, its JSON Schema type/enum/format (model_json_schema),
            its default (as JSON, when it has a plain one) and required-ness;
  required: the field paths Settings() reports missing with an empty environment;
  probes:   for every PROBE_NAME (and every derived name), what Settings() does
            when only that variable is set to a value valid for its type:
            "accepted" (the model changed), "ignored" (it did not), or
            "rejected: <pydantic's error>".
Run it with an empty environment: the probes set variables one at a time.
"""

import enum
import json
import warnings
import os
import sys
import typing

from pydantic import AliasChoices, AliasPath, BaseModel, SecretBytes, SecretStr, ValidationError
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings
from pydantic_settings.sources import EnvSettingsSource

# A str default for a URL field makes model_dump warn; the dump is only compared.
warnings.simplefilter("ignore")
root, module, cls_name = sys.argv[1], sys.argv[2], sys.argv[3]
probe_names = sys.argv[4:]
sys.path.insert(0, root)
mod = __import__(module, fromlist=["_"])
Settings = getattr(mod, cls_name)
schema = Settings.model_json_schema()
cfg = Settings.model_config
delim = cfg.get("env_nested_delimiter") or ""
case_sensitive = bool(cfg.get("case_sensitive", False))
source = EnvSettingsSource(Settings)


def resolve(node):
    for _ in range(16):
        if "$ref" in node:
            node = schema["$defs"][node["$ref"].split("/")[-1]]
        elif "allOf" in node and len(node["allOf"]) == 1:
            node = node["allOf"][0]
        elif "anyOf" in node:
            rest = [a for a in node["anyOf"] if a.get("type") != "null"]
            if len(rest) != 1:
                return node
            node = rest[0]
        else:
            return node
    return node


def model_of(annotation):
    """The BaseModel class a field holds (through Optional/Annotated), if one."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return model_of(typing.get_args(annotation)[0])
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return model_of(args[0]) if len(args) == 1 else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def is_dict(annotation):
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return is_dict(typing.get_args(annotation)[0])
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return len(args) == 1 and is_dict(args[0])
    return annotation is dict or origin is dict


def keys_of(field, name, config):
    """The dict keys a nested model accepts for a field (pydantic's validation)."""
    alias = field.validation_alias
    keys = []
    if isinstance(alias, AliasChoices):
        for choice in alias.choices:
            keys.append(choice if isinstance(choice, str) else choice.path[0])
    elif isinstance(alias, AliasPath):
        keys.append(alias.path[0])
    elif isinstance(alias, str):
        keys.append(alias)
    elif field.alias and field.alias != name:
        keys.append(field.alias)
    if not keys or config.get("populate_by_name") or config.get("validate_by_name"):
        keys.append(name)
    return keys


def schema_of(props, f, fname):
    """The field's property in model_json_schema (keyed by its validation name)."""
    keys = keys_of(f, fname, {}) + [f.alias, fname]
    for k in keys:
        if k and k in props:
            return props[k]
    return None


def jsonable(value):
    if isinstance(value, BaseModel):
        return None  # a model instance: no literal readyctl could show
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, (set, frozenset)):
        return sorted(jsonable(v) for v in value)
    if isinstance(value, tuple):
        return [jsonable(v) for v in value]
    try:
        json.dumps(value)
        return value
    except TypeError:
        return str(value)


names = []


def emit(env, path, field, sch, required, parent_model, json_path=False):
    t = resolve(sch) if sch is not None else {}
    default = None
    has_default = not field.is_required()
    if field.default is not PydanticUndefined:
        default = jsonable(field.default)
    names.append(
        {
            "name": env if case_sensitive else env.upper(),
            "path": path,
            "type": t.get("type"),
            "enum": [jsonable(v) for v in t["enum"]] if "enum" in t else ([jsonable(t["const"])] if "const" in t else None),
            "format": t.get("format"),
            "default": default if has_default else None,
            "has_default": has_default,
            "factory": field.default_factory is not None,
            "default_is_model": isinstance(field.default, BaseModel),
            "required": required,
            "wildcard": False,
            "json_path": json_path,
            "minimum": t.get("minimum", t.get("exclusiveMinimum")),
            "annotation": str(field.annotation),
        }
    )
    sub = model_of(field.annotation)
    if delim and sub is not None:
        sub_schema = resolve(sch) if sch is not None else {}
        props = sub_schema.get("properties", {})
        for fname, f in sub.model_fields.items():
            for key in keys_of(f, fname, sub.model_config):
                emit(
                    f"{env}{delim}{key}",
                    f"{path}.{fname}",
                    f,
                    schema_of(props, f, fname),
                    required and f.is_required(),
                    sub,
                )
    elif delim and is_dict(field.annotation):
        names.append(
            {
                "name": (env if case_sensitive else env.upper()) + delim,
                "path": path + ".*",
                "type": None,
                "enum": None,
                "format": None,
                "default": None,
                "has_default": False,
                "factory": False,
                "default_is_model": False,
                "required": False,
                "wildcard": True,
            }
        )


props = schema.get("properties", {})
for fname, f in Settings.model_fields.items():
    for key, env, complex_ in source._extract_field_info(f, fname):
        json_path = complex_ and isinstance(f.validation_alias, (AliasPath, AliasChoices)) and not model_of(f.annotation)
        emit(env, fname, f, schema_of(props, f, fname), f.is_required(), Settings, json_path)

# Required, as Settings() itself reports it with nothing set.
required = []
try:
    Settings(_env_file=None)
except ValidationError as e:
    for err in e.errors():
        if err["type"] == "missing":
            required.append(".".join(str(p) for p in err["loc"]))


def probe_value(entry):
    if entry.get("json_path"):
        # An AliasPath name: a JSON list whose first item is the value.
        return json.dumps([probe_json({**entry, "json_path": False})])
    t = entry["type"]
    if entry["enum"]:
        for v in entry["enum"]:
            if v != entry["default"]:
                return str(v)
        return str(entry["enum"][0])
    fmt = entry["format"] or ""
    if t == "boolean":
        return "false" if entry["default"] is True else "true"
    if t in ("integer", "number"):
        v = 7 if entry["minimum"] is None else int(entry["minimum"]) + 1
        if v == entry["default"]:
            v += 1
        return str(v) if t == "integer" else f"{v}.5"
    if t == "array":
        return '["probe"]'
    if t == "object":
        return '{"probe": "v"}'
    if "PostgresDsn" in entry["annotation"]:
        return "postgresql://u:p@probe:5432/d"
    if "RedisDsn" in entry["annotation"]:
        return "redis://probe:6379/0"
    if "uri" in fmt or "url" in fmt:
        return "https://probe.example/"
    return "probe-value"


def probe_json(entry):
    v = probe_value(entry)
    if entry["type"] == "integer":
        return int(v)
    if entry["type"] == "boolean":
        return v == "true"
    return v


def plain(v):
    """model_dump() with secrets revealed, so setting a secret shows."""
    if isinstance(v, (SecretStr, SecretBytes)):
        return v.get_secret_value()
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set, frozenset)):
        return [plain(x) for x in v]
    if isinstance(v, enum.Enum):
        return v.value
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    return str(v)


def instantiate(env):
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        return plain(Settings(_env_file=None).model_dump())
    finally:
        os.environ.clear()
        os.environ.update(saved)


# A base environment that satisfies every required field (first name of each
# required leaf path), so that probes of optional names can be seen at all.
base = {}
paths_with_children = {n["path"].rsplit(".", 1)[0] for n in names if "." in n["path"]}
for n in names:
    if n["required"] and not n["wildcard"] and n["path"] not in paths_with_children:
        if not any(by["path"] == n["path"] for by in names if by["name"] in base):
            v = probe_value(n)
            base[n["name"]] = "base-value" if v == "probe-value" else v

baseline = None
try:
    baseline = instantiate(base)
except ValidationError:
    pass

by_name = {n["name"]: n for n in names}
probes = {}
if baseline is not None:
    for n in [n["name"] for n in names if not n["wildcard"]] + probe_names:
        given = None
        if "=" in n:
            # NAME=VALUE: probe exactly this value (the value checks' reference).
            n, given = n.split("=", 1)
        entry = by_name.get(n)
        value = probe_value(entry) if entry else "probe-value"
        if entry and entry["type"] == "object" and not entry["enum"]:
            # A nested model's own variable takes JSON of its fields: set the
            # first leaf below it, nested as deep as it is.
            d = delim.upper() if not case_sensitive else delim
            leaf = next(
                (c for c in names if c["name"].startswith(n + d) and c["type"] in ("string", "integer", "boolean") and not c["wildcard"]),
                None,
            )
            if leaf is not None:
                keys = leaf["name"][len(n) + len(d):].split(d)
                obj = probe_json(leaf)
                for k in reversed(keys):
                    obj = {k if case_sensitive else k.lower(): obj}
                value = json.dumps(obj)
        if given is not None:
            value = given
        env = {k: v for k, v in base.items() if not entry or by_name.get(k, {}).get("path") != entry["path"]}
        env[n] = value
        try:
            got = instantiate(env)
            if got != baseline:
                result = "accepted"
            elif entry and entry["enum"] and len(entry["enum"]) == 1 and value == str(entry["enum"][0]):
                # A one-value Literal cannot change: valid is all a probe can see.
                result = "accepted (the only value)"
            else:
                result = "ignored"
        except ValidationError as e:
            result = "rejected: " + e.errors()[0]["type"]
        except Exception as e:  # a settings class of the corpus may raise anything
            result = "rejected: " + type(e).__name__
        probes[n if given is None else f"{n}={given}"] = result

print(json.dumps({"names": names, "required": required, "probes": probes, "base": base, "schema": schema}, indent=1))
