# Consumers that validate readyctl's report formats in tests/formats.rs:
# xmllint (JUnit against tests/schemas/junit.xsd) and promtool (Prometheus
# text exposition). Nothing to start; the "service" is the tool's path.

formats_install() {
  apt_install libxml2-utils prometheus
}

formats_start() {
  local xmllint promtool
  xmllint=$(command -v xmllint) || return 1
  promtool=$(command -v promtool) || return 1
  {
    echo "export READYCTL_TEST_XMLLINT=$xmllint"
    echo "export READYCTL_TEST_PROMTOOL=$promtool"
  } >> "$READYCTL_TEST_ENV"
}

formats_stop() {
  :
}
