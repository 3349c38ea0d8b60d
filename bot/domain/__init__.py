"""Domain: the database models and the services that work on them."""
