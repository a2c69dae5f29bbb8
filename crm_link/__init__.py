"""Unified customer record: one customer per person whatever the channel, one timeline of contacts.

The IVR and workers call the functions re-exported here (each takes a SQLAlchemy session first),
or go through `CustomerDirectory` (crm_link.directory) to stay independent of the store.
"""

from crm_link.contacts import record_contact, update_interaction
from crm_link.customers import (
    caller_profile,
    create_customer,
    dismiss_flag,
    flag_duplicates,
    list_duplicate_flags,
    lookup,
)
from crm_link.directory import (
    CallerProfile,
    Contact,
    ContactResult,
    CustomerDirectory,
    CustomerView,
    Match,
    MergeResult,
    TicketView,
    TimelineEntry,
    TimelinePage,
)
from crm_link.errors import CrmError, IdentityConflict, InvalidInput, MergeError, NotFound
from crm_link.merges import merge_customers, undo_merge
from crm_link.phones import PhoneParse, parse_phone
from crm_link.store import SqlDirectory
from crm_link.tickets import open_tickets, timeline, update_ticket

__all__ = [
    "CallerProfile", "Contact", "ContactResult", "CrmError", "CustomerDirectory", "CustomerView",
    "IdentityConflict", "InvalidInput", "Match", "MergeError", "MergeResult", "NotFound",
    "PhoneParse", "SqlDirectory", "TicketView", "TimelineEntry", "TimelinePage",
    "caller_profile", "create_customer", "dismiss_flag", "flag_duplicates",
    "list_duplicate_flags", "lookup", "merge_customers", "open_tickets", "parse_phone",
    "record_contact", "timeline", "undo_merge", "update_interaction", "update_ticket",
]
