"""Chat machinery: neutral message types, the router, the handler's context and the dispatcher
that turns one incoming message into one committed transaction."""
