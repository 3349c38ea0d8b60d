"""Dates and sign-up: creating, moving, skipping and cancelling dates, sign-ups with companions
and a waiting list, check-in, announcements, notices, calendar feeds and posters."""
