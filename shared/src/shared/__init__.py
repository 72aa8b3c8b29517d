"""Plumbing and message contracts shared by the ticketing services — never business rules."""
