"""Dates and sign-up: creating, moving, skipping and cancelling dates (with the jobs each date
has due later), sign-ups with companions and a waiting list, check-in, announcements,
notices, calendar feeds and posters."""
