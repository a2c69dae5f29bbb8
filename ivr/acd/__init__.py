"""Automatic call distribution: queues, agent states, offers, call-backs."""
