"""The supervisor's web edge: flow tools, the live wall and the reports."""
