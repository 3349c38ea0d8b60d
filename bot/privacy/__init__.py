"""Privacy: access and erasure for a person, retention per table, and the record of processing."""
