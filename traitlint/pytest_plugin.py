"""pytest plugin entry point (being written; see issue 2)."""
