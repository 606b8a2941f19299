"""The `grants` command line."""
