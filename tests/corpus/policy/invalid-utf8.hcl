path "secret/ÿ" {
  capabilities = ["read"]
}
