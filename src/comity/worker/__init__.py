"""The node's worker: runs due dates, expiries, retention, log integration and outbox delivery."""
