path "secret/data/*" {
  capabilities = "sudo"
}
path = 3
