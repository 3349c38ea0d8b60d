"""Fakes: small working stand-ins for the world outside the bot, written for the tests.

What belongs here: things that *play* a part the bot talks to and that a test can read
back, without any real server behind them: the clock tests move by hand (``clock``), the
in-memory chat platform (``memory``), the console's terminal (``terminal``), the fake
Telegram Bot API server and its rules (``telegram_server``, ``telegram_limits``), and a
Matrix person (``matrix_peer``: a matrix-nio client that plays a member against the real
Synapse of ``tests.servers``).

Real servers started for the tests live in ``tests.servers``; prepared worlds and kill
campaigns in ``tests.scenarios``.
"""
