"""Running as a service: sd_notify, the systemd unit, the single-instance lock, reload."""
