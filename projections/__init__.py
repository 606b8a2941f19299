"""Read models (SQL tables) folded from the event log: catch-up, rebuild and report queries."""
