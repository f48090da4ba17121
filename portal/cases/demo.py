"""Demo data for case management (filled in a later slice)."""
