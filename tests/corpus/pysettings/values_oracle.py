"""The reference for tests/it/settings_values.rs: what Settings() does with
each environment.

Usage: values_oracle.py ROOT MODULE CLASS < cases.json

cases.json is a list of environments (objects of name → value). For each,
the module's class is instantiated with exactly that environment (no env
file) and the answer is printed as a JSON list, one entry per case:
  {"verdict": "accepted"} or
  {"verdict": "rejected", "fields": [top-level field names], "error": "..."}
plus "owners": for each variable of the case (and every name the source
reads, upper-case), the top-level field that pydantic-settings' own
EnvSettingsSource maps it to (null: none).
"""

import json
import os
import re
import sys
import warnings

from pydantic import ValidationError
from pydantic_settings import SettingsError
from pydantic_settings.sources import EnvSettingsSource

warnings.simplefilter("ignore")
root, module, cls_name = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, root)
mod = __import__(module, fromlist=["_"])
Settings = getattr(mod, cls_name)
cfg = Settings.model_config
case_sensitive = bool(cfg.get("case_sensitive", False))
delim = cfg.get("env_nested_delimiter") or ""
source = EnvSettingsSource(Settings)

# Every environment name of every top-level field, as the source derives it.
env_names = {}
for fname, f in Settings.model_fields.items():
    for _key, env, _complex in source._extract_field_info(f, fname):
        env_names[env if case_sensitive else env.lower()] = fname


def owner(var):
    v = var if case_sensitive else var.lower()
    if v in env_names:
        return env_names[v]
    if delim:
        d = delim if case_sensitive else delim.lower()
        for env, fname in env_names.items():
            if v.startswith(env + d):
                return fname
    return None


def field_of_loc(first):
    """A ValidationError's first loc item is the validation key: the alias
    when the field has one."""
    if first in Settings.model_fields:
        return first
    for fname, f in Settings.model_fields.items():
        keys = [f.alias]
        va = f.validation_alias
        if isinstance(va, str):
            keys.append(va)
        elif va is not None and hasattr(va, "choices"):
            keys.extend(c if isinstance(c, str) else c.path[0] for c in va.choices)
        if first in keys:
            return fname
    return str(first)


cases = json.load(sys.stdin)
out = []
saved = dict(os.environ)
for env in cases:
    os.environ.clear()
    os.environ.update(env)
    # Every name pydantic-settings reads (upper-case), then the case's own.
    owners = {e.upper(): f for e, f in env_names.items()}
    owners.update({k: owner(k) for k in env})
    entry = {"owners": owners}
    try:
        Settings(_env_file=None)
        entry["verdict"] = "accepted"
    except ValidationError as e:
        entry["verdict"] = "rejected"
        entry["fields"] = sorted({field_of_loc(err["loc"][0]) for err in e.errors()})
        entry["error"] = "; ".join(f'{".".join(map(str, err["loc"]))}: {err["type"]}' for err in e.errors())
    except SettingsError as e:
        entry["verdict"] = "rejected"
        m = re.search(r'error parsing value for field "([^"]+)"', str(e))
        entry["fields"] = [m.group(1)] if m else []
        entry["error"] = "SettingsError: " + str(e)
    out.append(entry)
os.environ.clear()
os.environ.update(saved)
print(json.dumps(out, indent=1))
