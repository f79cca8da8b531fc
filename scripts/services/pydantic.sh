# pydantic 2.12.1 + pydantic-settings 2.11.0, the reference for tests/it/settings.rs:
# the tests import each settings module of the corpus (DotMac's real
# settings.py included) and compare what pydantic itself reports with what
# `readyctl settings` reads from the source. Nothing to start; the "service"
# is the Python interpreter of a venv that has both packages.
#
# Exports READYCTL_TEST_PYTHON.

PYDANTIC_VERSION=2.12.1
PYDANTIC_SETTINGS_VERSION=2.11.0
PYDANTIC_VENV="${READYCTL_VENV:-/opt/readyctl-venv}"

_pydantic_ok() {
  "$PYDANTIC_VENV/bin/python" -c "import pydantic, pydantic_settings, sys; sys.exit(0 if (pydantic.VERSION, pydantic_settings.__version__) == ('$PYDANTIC_VERSION', '$PYDANTIC_SETTINGS_VERSION') else 1)" 2>/dev/null
}

pydantic_install() {
  _pydantic_ok && return 0
  # Debian's system Python refuses `pip install` outside a venv (PEP 668).
  if [ ! -x "$PYDANTIC_VENV/bin/pip" ]; then
    apt_install python3-venv
    python3 -m venv "$PYDANTIC_VENV"
  fi
  "$PYDANTIC_VENV/bin/pip" install -q "pydantic==$PYDANTIC_VERSION" "pydantic-settings==$PYDANTIC_SETTINGS_VERSION"
  _pydantic_ok
}

pydantic_start() {
  _pydantic_ok || return 1
  echo "export READYCTL_TEST_PYTHON=$PYDANTIC_VENV/bin/python" >> "$READYCTL_TEST_ENV"
}

pydantic_stop() {
  :
}
