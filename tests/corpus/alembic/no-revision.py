"""a migration without identifiers"""
def upgrade():
    pass
