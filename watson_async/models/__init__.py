"""Typed models of the Watson Assistant v2 API (attrs classes, one cattrs converter).

Every model has ``Model.from_dict(data)`` and ``model.to_dict()``; see
``docs/architecture.md`` for the conventions. Class names follow ibm-watson 11.x.
"""

from . import (
    _base,
    assistants,
    bulk_classify,
    common,
    context,
    environments,
    generic,
    log_messages,
    logs,
    message,
    providers,
    releases,
    session,
    skills,
    stream,
    turn_events,
)
from ._base import *
from .assistants import *
from .bulk_classify import *
from .common import *
from .context import *
from .environments import *
from .generic import *
from .log_messages import *
from .logs import *
from .message import *
from .providers import *
from .releases import *
from .session import *
from .skills import *
from .stream import *
from .turn_events import *

__all__: list[str] = []
__all__ += _base.__all__
__all__ += assistants.__all__
__all__ += bulk_classify.__all__
__all__ += common.__all__
__all__ += context.__all__
__all__ += environments.__all__
__all__ += generic.__all__
__all__ += log_messages.__all__
__all__ += logs.__all__
__all__ += message.__all__
__all__ += providers.__all__
__all__ += releases.__all__
__all__ += session.__all__
__all__ += skills.__all__
__all__ += stream.__all__
__all__ += turn_events.__all__
