"""Demo data for family-care billing (filled in a later slice)."""
