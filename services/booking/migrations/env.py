from alembic import context

from booking_service.orm import metadata
from booking_service.settings import Settings
from shared.db import run_alembic_env

if not context.config.get_main_option("sqlalchemy.url"):  # the CLI: take DATABASE_URL from settings
    context.config.set_main_option("sqlalchemy.url", Settings().DATABASE_URL.replace("%", "%%"))

run_alembic_env(metadata)
