"""Secure federation between jurisdiction nodes (capability C8): peers, trust, the HTTP inbox and outbox.

- ``model``: the peer directory, imported trust stores, received messages.
- ``directory``: adding and removing peers, importing a peer's trust store (an audited act), resolving
  peer keys.
- ``inbox``: receiving a message over HTTP: verify, decrypt, dedupe, store, answer with signed evidence.
- ``outbound``: sealing a message to a peer through the egress gate into the outbox, and the HTTP
  deliverer the outbox worker uses.
"""
