"""The staff side: the inbox of handed-off conversations, the terminal, health checks."""
