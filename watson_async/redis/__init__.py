"""Redis for a fleet of processes: :class:`RedisTokenCache` shares one IAM or Cloud Pak
for Data token between them. Needs the ``redis`` extra (``pip install watson-async[redis]``);
``import watson_async`` never imports it."""

from ._token_cache import RedisTokenCache

__all__ = ["RedisTokenCache"]
