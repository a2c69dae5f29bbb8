"""The customer record: customers, identities, tickets, threading, merges and the JSON API."""

from core.features import Feature
from crm_link import events  # noqa: F401 -- its event kinds are known to every process

feature = Feature(name="crm_link", models=("crm_link.models",), web="crm_link.web.api")
