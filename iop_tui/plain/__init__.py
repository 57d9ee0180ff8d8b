"""The plain line face for screen readers and slow links. Never imports textual."""
