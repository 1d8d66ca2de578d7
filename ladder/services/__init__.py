"""Orchestration over the database session: query, call the domain, add and flush (never commit)."""
