"""What a data care command can refuse with; each message says what to do about it."""

from __future__ import annotations


class DataCareError(Exception):
    """A backup, restore, purge, export or erasure that cannot go ahead."""


class DaemonRunning(DataCareError):
    """The daemon holds the state directory's lock."""


class BadBackup(DataCareError):
    """A backup file that is missing, unreadable, corrupt or from a newer release."""


class UnknownContact(DataCareError):
    """No contact has that id."""
