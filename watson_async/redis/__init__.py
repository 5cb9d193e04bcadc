"""Redis for a fleet of processes: :class:`RedisTokenCache` shares one IAM or Cloud Pak
for Data token between them, :class:`RedisRateLimitGate` one rate budget. Needs the
``redis`` extra (``pip install watson-async[redis]``); ``import watson_async`` never
imports it.

Both degrade the same way: every Redis operation is bounded by ``op_timeout``; when
Redis is down, slow, restarted or refuses a command, the process goes on alone (its own
token, its own gate), leaves Redis alone for a back-off, and rejoins once Redis answers,
each change reported by a :class:`~watson_async.FleetEvent` and a log line on
``watson_async.redis``.
"""

from ._gate import RedisRateLimitGate
from ._token_cache import RedisTokenCache

__all__ = ["RedisRateLimitGate", "RedisTokenCache"]
