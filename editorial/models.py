from editorial.models_ops import *  # noqa: F403
from editorial.models_ops import __all__ as _ops_all

__all__ = [*_ops_all]
