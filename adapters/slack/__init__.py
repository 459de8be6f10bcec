"""Slack adapter (in progress)."""
