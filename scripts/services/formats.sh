# References that validate readyctl's report formats (tests/it/formats.rs and
# the SARIF checks in other tests). Nothing to start; the "service" is each
# tool's path:
# - xmllint, with junit-10.xsd from the pytest sdist (the schema pytest's
#   JUnit XML follows, the de-facto consumer contract), for JUnit;
# - the SARIF multitool (`sarif-multitool validate`) and the final SARIF
#   2.1.0 schema it ships, for SARIF;
# - promtool, for the Prometheus text exposition.
# The multitool and the XSD are downloaded once into a cache directory.

FORMATS_MULTITOOL_VERSION=5.7.0
FORMATS_PYTEST_VERSION=9.2.0
FORMATS_CACHE="${READYCTL_CACHE:-/opt/readyctl-cache}/formats"
# An npm directory that may already hold the multitool (the machine image's).
FORMATS_NPM_DIRS=("${READYCTL_NPM:-/opt/readyctl-npm}" "$FORMATS_CACHE/npm")

formats_multitool_dir() {
  local d
  for d in "${FORMATS_NPM_DIRS[@]}"; do
    if [ -x "$d/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool" ] &&
       grep -q "\"version\": \"$FORMATS_MULTITOOL_VERSION\"" "$d/node_modules/@microsoft/sarif-multitool/package.json" 2>/dev/null; then
      echo "$d/node_modules/@microsoft/sarif-multitool-linux"
      return 0
    fi
  done
  return 1
}

formats_install() {
  apt_install libxml2-utils prometheus
  mkdir -p "$FORMATS_CACHE"
  if ! formats_multitool_dir >/dev/null; then
    apt_install nodejs npm
    log "npm install @microsoft/sarif-multitool@$FORMATS_MULTITOOL_VERSION"
    mkdir -p "$FORMATS_CACHE/npm"
    npm install --silent --no-audit --no-fund --prefix "$FORMATS_CACHE/npm" "@microsoft/sarif-multitool@$FORMATS_MULTITOOL_VERSION" >/dev/null
  fi
  local xsd="$FORMATS_CACHE/junit-10.xsd"
  if [ ! -s "$xsd" ]; then
    local tmp pip
    tmp=$(mktemp -d)
    pip="${READYCTL_VENV:-/opt/readyctl-venv}/bin/pip"
    if [ ! -x "$pip" ]; then
      apt_install python3-venv
      python3 -m venv "$FORMATS_CACHE/venv"
      pip="$FORMATS_CACHE/venv/bin/pip"
    fi
    log "pip download pytest==$FORMATS_PYTEST_VERSION (sdist, for junit-10.xsd)"
    "$pip" download --quiet --no-deps --no-binary :all: "pytest==$FORMATS_PYTEST_VERSION" -d "$tmp" >/dev/null
    tar -xzf "$tmp/pytest-$FORMATS_PYTEST_VERSION.tar.gz" -C "$tmp" "pytest-$FORMATS_PYTEST_VERSION/testing/example_scripts/junit-10.xsd"
    cp "$tmp/pytest-$FORMATS_PYTEST_VERSION/testing/example_scripts/junit-10.xsd" "$xsd"
    rm -rf "$tmp"
  fi
}

formats_start() {
  local xmllint promtool mt
  xmllint=$(command -v xmllint) || return 1
  promtool=$(command -v promtool) || return 1
  mt=$(formats_multitool_dir) || return 1
  [ -s "$FORMATS_CACHE/junit-10.xsd" ] || return 1
  {
    echo "export READYCTL_TEST_XMLLINT=$xmllint"
    echo "export READYCTL_TEST_PROMTOOL=$promtool"
    echo "export READYCTL_TEST_JUNIT_XSD=$FORMATS_CACHE/junit-10.xsd"
    echo "export READYCTL_TEST_SARIF_MULTITOOL=$mt/Sarif.Multitool"
    echo "export READYCTL_TEST_SARIF_SCHEMA=$mt/sarif-2.1.0.json"
  } >> "$READYCTL_TEST_ENV"
}

formats_stop() {
  :
}
