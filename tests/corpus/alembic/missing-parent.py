revision = "abc123"
down_revision = "doesnotexist"
