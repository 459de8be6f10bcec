"""Discord adapter (in progress)."""
