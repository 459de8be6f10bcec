"""What a data care command can refuse with; each message says what to do about it."""

from __future__ import annotations

from omnichannel.store.snapshot import BadBackup as _StoreBadBackup


class DataCareError(Exception):
    """A backup, restore, purge, export or erasure that cannot go ahead."""


class DaemonRunning(DataCareError):
    """The daemon holds the state directory's lock."""


# A backup file that is missing, unreadable, corrupt or from a newer release: raised by
# the store's snapshot module (only the store speaks SQL); the commands report it too.
BadBackup = _StoreBadBackup


class UnknownContact(DataCareError):
    """No contact has that id."""
