"""What the tests share: raw websocket members, a relay process, pty and pilot helpers, the auditor."""
