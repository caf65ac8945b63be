"""Reusable `select()` builders: filters, orders, eager loads and viewer flags.

They build statements and never execute them, so a service can combine them
and a test can count what one list costs.
"""
