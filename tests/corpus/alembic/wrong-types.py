revision = 42
down_revision = ["a", 1, None]
