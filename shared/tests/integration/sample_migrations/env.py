from shared.db import make_metadata, run_alembic_env

run_alembic_env(make_metadata())
