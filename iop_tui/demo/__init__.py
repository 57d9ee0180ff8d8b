"""The demo runner, its simulated members and its content."""
