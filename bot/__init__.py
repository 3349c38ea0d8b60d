"""Lotsenbot: a chat bot for Digitalcafés, courses and volunteer Digitallotsen."""

__version__ = "0.1.0"
