"""The web front end: staff pages served from the bot's own aiohttp server.

Like the chat handlers it parses a request, calls one use case through ``Work`` and renders;
the rules live in the feature folders under ``bot/``.
"""
