"""Tools around the telephony feature: `ivr flows ...` commands, call simulation, scripted flow
tests, graph rendering and the demo."""
