"""A C2SP tlog-witness: cosigns checkpoints of the logs it watches, only when consistent with the last.

Runs as its own process (``comity witness serve``), with its own key file and state file; it needs no
Comity database. See :mod:`comity.witness.core` for the protocol and :mod:`comity.witness.app` for HTTP.
"""
