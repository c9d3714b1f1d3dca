"""The key registry (C8 and the signing contracts): trust anchors per jurisdiction and the keys under them.

- ``service``: create anchors, register, rotate and revoke keys (each signed by the anchor, audited).
- ``queries``: find the key to sign with (:func:`comity.keys.queries.signer_for`), list the directory.
- ``keystore``: private keys in files under ``COMITY_HOME/keys``, never in the database.
- ``truststore``: export the pinned trust store and verify it offline (:class:`TrustStore`).
"""
