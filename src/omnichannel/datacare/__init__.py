"""Data care: backup and restore, retention, per-contact export and erasure."""
