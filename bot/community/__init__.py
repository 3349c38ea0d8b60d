"""Community and linking: communities, linked chats and roles; one person across platforms."""
