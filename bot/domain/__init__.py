"""The shared model: database tables, people and accounts, roles, and the words for dates,
numbers and names that every feature uses."""
