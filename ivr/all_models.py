"""Every package's tables on one metadata, for Alembic and the schema checks in tests."""

from ivr.db import Base

metadata = Base.metadata
