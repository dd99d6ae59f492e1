"""Use cases every front end calls: open, send, reply, settings; import and export."""
