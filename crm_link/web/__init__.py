"""The customer record's web edge: the JSON API under /api."""
