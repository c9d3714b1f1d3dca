"""Governance of the shared vocabulary and agreements: versioned documents that take effect only after an
oversight approval is recorded."""
