"""Read models (SQL tables) folded from the event log; see issue 3."""
