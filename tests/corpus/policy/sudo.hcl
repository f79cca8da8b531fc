path "sys/*" {
  capabilities = ["sudo", "read"]
}
