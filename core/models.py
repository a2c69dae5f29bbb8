"""Every package's tables on one metadata, for Alembic and the schema checks in tests."""

import core.accounts  # noqa: F401
import crm_link.models  # noqa: F401
import ivr.models  # noqa: F401
import voicemail.models  # noqa: F401
from core.db import Base

metadata = Base.metadata
