"""The agent desk: accounts, sign-in, and the browser pages agents and supervisors work in.

Kept free of imports so that `core.accounts` (no Flask) can be used by the CLI and workers.
"""
