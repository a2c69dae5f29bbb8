"""Calls through flows, independent of the carrier: the call service, its rows and effects,
the reports and reply format a carrier adapter provides (ports), and who is rung (routing)."""
