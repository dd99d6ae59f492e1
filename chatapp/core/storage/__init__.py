"""Where conversations live: SQLite (WAL, FTS5), atomic files, data folders."""
