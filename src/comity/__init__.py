"""Comity: cross-jurisdictional cooperation against illegal online marketplaces, with due process."""

__version__ = "0.1.0"
