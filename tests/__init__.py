"""The test suite: unit/ (no sockets), relay/ (a real relay on loopback), faces/ (pilot, pty, tmux)."""
