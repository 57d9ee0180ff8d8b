"""The client's core: connection, view model, session, every sentence, plans, config. Never imports textual."""
