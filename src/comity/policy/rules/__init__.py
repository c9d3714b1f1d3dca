"""The policy engine's rules, one module per regime, plus Comity's own rules in ``common``."""
