revision = 'b'
down_revision = 'b'
