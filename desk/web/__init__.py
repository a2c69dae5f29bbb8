"""The desk's web edge: sign-in, inbox, ticket pages, screen-pops, assignment."""
