"""The iop-tui relay: a pure session model, a hub that sequences, persists and
fans out each group's events, SQLite storage, the websocket edge and the CLI.

Run it with ``iop-server serve`` or ``python -m server serve``.
"""
