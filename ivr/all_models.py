"""Every package's tables on one metadata, for Alembic and the schema checks in tests."""

import crm_link.models  # noqa: F401
import desk.accounts  # noqa: F401
import ivr.models  # noqa: F401
import voicemail.models  # noqa: F401
from ivr.db import Base

metadata = Base.metadata
