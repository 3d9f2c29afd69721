"""graphite-web's render function library, one module per function group.

Importing this package registers every function in `render_api.registry.REGISTRY`.
"""

from . import alias, calculate, combine, filters, sorting, special, transform  # noqa: F401 (registration)
