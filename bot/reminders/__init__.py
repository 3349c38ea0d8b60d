"""Reminders and follow-up: what a date needs done later (reminders before it, feedback and
thanks after it) and running it when it is due."""
