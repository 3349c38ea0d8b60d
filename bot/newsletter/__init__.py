"""The newsletter: a weekly or monthly e-mail of a community's coming dates (double opt-in,
one-click unsubscribe)."""
