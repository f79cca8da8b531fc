# kubernetes-validate (PyPI), the offline reference for docs/serve/kubernetes.yaml:
# it checks manifests against the Kubernetes API server's own JSON schemas,
# bundled for each release (no cluster, no network). No Kubernetes API server
# installs here, so this is the strongest check the manifest can get.
# Nothing to start. Exports READYCTL_TEST_K8S_VALIDATE.

K8S_VALIDATE_VERSION=1.37.0
K8S_VALIDATE_VENV="${READYCTL_VENV:-/opt/readyctl-venv}"

_kubernetes_ok() {
  [ "$("$K8S_VALIDATE_VENV/bin/kubernetes-validate" --version 2>/dev/null)" = "$K8S_VALIDATE_VERSION" ]
}

kubernetes_install() {
  _kubernetes_ok && return 0
  if [ ! -x "$K8S_VALIDATE_VENV/bin/pip" ]; then
    apt_install python3-venv
    python3 -m venv "$K8S_VALIDATE_VENV"
  fi
  "$K8S_VALIDATE_VENV/bin/pip" install -q "kubernetes-validate==$K8S_VALIDATE_VERSION"
  _kubernetes_ok
}

kubernetes_start() {
  _kubernetes_ok || return 1
  echo "export READYCTL_TEST_K8S_VALIDATE=$K8S_VALIDATE_VENV/bin/kubernetes-validate" >> "$READYCTL_TEST_ENV"
}

kubernetes_stop() {
  :
}
