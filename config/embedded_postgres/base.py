"""Django's PostgreSQL backend, pointed at the embedded server when the first connection opens.

The settings use this engine when no ``DATABASE_URL`` is given. Importing the settings starts
nothing; a process that connects (a management command run by hand, ``make bench``) starts the
embedded PostgreSQL then, as ``make run``'s launcher and the test session do before they need it.
Whoever needs the embedded database needs the embedded broker too (a command that queues a
task), so it is started alongside unless ``REDIS_URL`` names another one.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from django.db.backends.postgresql import base as postgresql
from django.db.backends.postgresql import client

from config import embedded


class DatabaseClient(client.DatabaseClient):
    """`manage.py dbshell`: psql to the embedded server's socket folder."""

    @classmethod
    def settings_to_cmd_args_env(
        cls, settings_dict: dict[str, Any], parameters: Iterable[str]
    ) -> tuple[list[str], dict[str, str] | None]:
        embedded_settings = {**settings_dict, "HOST": embedded.postgres_ensure()}
        return super().settings_to_cmd_args_env(embedded_settings, parameters)


class DatabaseWrapper(postgresql.DatabaseWrapper):
    client_class = DatabaseClient

    def get_connection_params(self) -> dict[str, Any]:
        params: dict[str, Any] = super().get_connection_params()
        params["host"] = embedded.postgres_ensure()
        params.setdefault("user", embedded.DATABASE_USER)
        if not os.environ.get("REDIS_URL"):
            embedded.redis_ensure()
        return params
