"""Your account: your password, and the log of changes to your records."""
