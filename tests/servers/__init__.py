"""Real servers the tests start on 127.0.0.1: real software, not fakes.

What belongs here: a module that starts (and stops) a real program for the tests, its
pytest fixtures, and the process helpers they share: PostgreSQL (``postgres``: a private
cluster per test session, started from the binaries ``make test`` provisions, see
``provision_postgres.sh``), Synapse (``synapse``: a throw-away Matrix homeserver) and
``processes``. Each server listens on loopback only and keeps its files in its own
temporary directory.

Stand-ins written for the tests live in ``tests.fakes``; prepared worlds and kill campaigns
in ``tests.scenarios``.
"""
