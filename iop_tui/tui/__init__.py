"""The Textual full-screen face."""
