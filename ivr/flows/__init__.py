"""The flow language: pure parsing, validation and execution of declarative IVR flows.

Nothing in this package imports Flask, Twilio, Redis or SQLAlchemy: it maps
(flow, call state, caller input) to (actions, new state), and the web layer does the rest.
"""
