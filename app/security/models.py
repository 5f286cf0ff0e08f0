"""The security domain's tables are FAB's (ab_user, ab_role, ...) and the
journal of reads, access_log (migration 0071), which app/security/journal.py
writes and reads in SQL: an append-only table needs no ORM state."""
