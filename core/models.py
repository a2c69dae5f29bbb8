"""The one schema: importing this module registers every feature's tables on one metadata,
for Alembic (`ivr db upgrade`) and the schema checks of the tests."""

import core.accounts  # noqa: F401 -- the platform's own tables (users, agent state changes)
import core.agent_states  # noqa: F401
import core.audit  # noqa: F401 -- the audit log
from core import features
from core.db import Base

features.load_models()
metadata = Base.metadata
