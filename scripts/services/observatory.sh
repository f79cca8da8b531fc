# MDN HTTP Observatory 1.4.8 (npm), the reference for security_headers
# grading (tests/it/security_headers_diff.rs drives it through
# tests/oracles/observatory.mjs). Sourced by scripts/test.sh.
#
# Installed with --ignore-scripts: its postinstall downloads the HSTS preload
# list and a TLD list from the network. Only loopback hosts are scanned in the
# tests, which are on no preload list, so an empty list ({}) is equivalent and
# written in its place. Nothing to start; the "service" is the package path.
# Exports READYCTL_TEST_OBSERVATORY (the package directory) and
# READYCTL_TEST_NODE (the node binary).

OBSERVATORY_VERSION=1.4.8

_observatory_dir() {
  echo "${READYCTL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/readyctl}/observatory-$OBSERVATORY_VERSION"
}

observatory_install() {
  command -v node >/dev/null 2>&1 || apt_install nodejs
  command -v npm >/dev/null 2>&1 || apt_install npm
  local d pkg; d=$(_observatory_dir)
  pkg="$d/node_modules/@mdn/mdn-http-observatory"
  if [ ! -f "$pkg/package.json" ] || ! grep -q "\"version\": \"$OBSERVATORY_VERSION\"" "$pkg/package.json"; then
    mkdir -p "$d"
    log "npm install @mdn/mdn-http-observatory@$OBSERVATORY_VERSION into $d"
    npm install --ignore-scripts --no-audit --no-fund --loglevel=error --prefix "$d" \
      "@mdn/mdn-http-observatory@$OBSERVATORY_VERSION" >/dev/null || return 1
  fi
  [ -f "$pkg/conf/hsts-preload.json" ] || echo '{}' > "$pkg/conf/hsts-preload.json"
}

observatory_start() {
  local pkg node
  pkg="$(_observatory_dir)/node_modules/@mdn/mdn-http-observatory"
  node=$(command -v node) || return 1
  [ -f "$pkg/src/constants.js" ] || return 1
  {
    echo "export READYCTL_TEST_OBSERVATORY=$pkg"
    echo "export READYCTL_TEST_NODE=$node"
  } >> "$READYCTL_TEST_ENV"
}

observatory_stop() {
  :
}
