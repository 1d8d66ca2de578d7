"""Administration: people, imports, cycles, ladder versions, the audit log."""
