#!/usr/bin/env bash
# Benchmark: `readyctl settings` on a generated settings module of 1,000
# fields (91 nested models of 9 fields each, each with its own field and a
# Literal flag; enums, aliases, DSNs, secrets), release build, with hyperfine.
# Target (issue 16): under 50 ms, process start included.
#
#   cargo build --release && bench/settings_read.sh [FIELDS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
fields=${1:-1000}
runs=${2:-30}
bin=${READYCTL_BIN:-target/release/readyctl}
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 2; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# Each group: 9 nested fields + its own field + one Literal flag = 11.
models=$(( (fields + 10) / 11 ))
{
  echo 'from enum import Enum'
  echo 'from typing import Literal, Optional'
  echo 'from pydantic import AliasChoices, BaseModel, Field, PostgresDsn, SecretStr'
  echo 'from pydantic_settings import BaseSettings, SettingsConfigDict'
  echo
  echo 'class Mode(str, Enum):'
  echo '    A = "a"'
  echo '    B = "b"'
  for m in $(seq 1 "$models"); do
    cat <<PY

class Group$m(BaseModel):
    host: str = Field("localhost", description="host of group $m")
    port: int = Field($((5000 + m)), ge=1, le=65535)
    enabled: bool = False
    ratio: float = 0.5
    password: SecretStr = SecretStr("")
    dsn: Optional[PostgresDsn] = None
    tags: list[str] = Field(default_factory=list)
    mode: Mode = Mode.A
    user: str = Field("app", validation_alias=AliasChoices("username", "login"))
PY
  done
  echo
  echo 'class Settings(BaseSettings):'
  echo '    model_config = SettingsConfigDict(env_nested_delimiter="__", case_sensitive=False, extra="ignore")'
  for m in $(seq 1 "$models"); do
    echo "    group_$m: Group$m = Group$m()"
    echo "    flag_$m: Literal[\"x\", \"y\"] = \"x\""
  done
} > "$dir/settings.py"
n=$("$bin" settings "$dir/settings.py" --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["names"]))')
echo "module: $(wc -l < "$dir/settings.py") lines, $((models * 11)) fields, $n environment names"
hyperfine -N --warmup 3 --runs "$runs" --export-json "${BENCH_JSON:-$dir/h.json}" "$bin settings $dir/settings.py --format json" >&2
python3 - "${BENCH_JSON:-$dir/h.json}" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f"readyctl settings: mean {r['mean']*1000:.1f} ms, median {r['median']*1000:.1f} ms, max {r['max']*1000:.1f} ms over {len(r['times'])} runs")
PY
