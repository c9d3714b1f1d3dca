"""The node's transparency log: an RFC 9162 Merkle tree over every audit (and so custody) event.

Use :mod:`comity.translog.service`; offline verification lives in :mod:`comity.verify`.
"""
