"""Scenarios: prepared situations and scripted runs that several tests (and the benchmarks)
share.

What belongs here: the data a test starts from (``world``: two communities with one person
per role), campaigns that run the real bot and kill it (``reminder_setup``,
``reminder_platforms``, ``cluster_campaign``), and conversation scripts that run unchanged
through every platform (``sign_up_script``). A scenario uses the fakes of ``tests.fakes``
and the servers of ``tests.servers``; it holds no server or fake of its own.
"""
