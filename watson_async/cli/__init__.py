"""The ``watson-async`` command: ``demo``, ``chat``, ``fake-server`` and ``loadtest``.

``main`` (in :mod:`watson_async.cli.main`) is the console script's entry point.
"""
