revision = "abc123"
down_revision = "abc123"
