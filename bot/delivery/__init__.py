"""Delivery: the outbox table and the loop that sends it."""
