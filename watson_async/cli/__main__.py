"""``python -m watson_async.cli``: the ``watson-async`` command."""

from watson_async.cli.main import main

raise SystemExit(main())
