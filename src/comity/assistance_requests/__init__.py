"""Cross-border requests (C4): preservation, production, assistance with removal or freezing."""
