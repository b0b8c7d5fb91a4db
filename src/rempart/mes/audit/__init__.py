"""The audit trail: database-trigger capture, append-only hash chain, verification."""
