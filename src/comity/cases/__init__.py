"""Case files and joint investigation teams (C3)."""
