"""Carrying messages between jurisdiction nodes, through one egress gate.

- ``egress``: :class:`~comity.transport.egress.EgressGate`, minimisation per agreement, TLP, signing.
- ``interface``: the :class:`~comity.transport.interface.Transport` protocol, receipts and evidence.
- ``message``: the signed message format; :func:`~comity.transport.message.open_message` verifies one.
- ``inprocess``: inboxes and a transport inside one process (tests, simulator, demo).
- ``sealing``: X25519 sealed boxes (libsodium) to encrypt a body to the recipient node.
- ``tlp``: TLP 2.0 markings.
"""
