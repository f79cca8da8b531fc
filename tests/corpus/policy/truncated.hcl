path "secret/data/*" {
  capabilities = ["read"
