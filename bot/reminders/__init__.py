"""Reminders and follow-up: running what a date has due (reminders before it; after its end
the no-shows, thanks, the feedback question and one nudge), the feedback answers, and the
reminder times staff set. Which jobs a date has is part of the date (``bot/dates/jobs.py``),
so dates never import this feature."""
