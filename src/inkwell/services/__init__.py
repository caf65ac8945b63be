"""The use cases. Each is a verb taking plain values; each flushes and never commits.

The interfaces (API, web pages, CLI) commit once per request or command, so
services compose inside one transaction and fail as one.
"""
