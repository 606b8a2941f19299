"""The eventsourcing application, storage wiring and the services the CLI calls."""
