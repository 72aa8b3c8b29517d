-- One role and one database per service, each role owning its database.
-- Idempotent: run by the postgres image (docker-entrypoint-initdb.d) on a fresh volume
-- and by `python -m devstack db` (psql as the superuser) on every `make up` / `make test`.
-- Dev passwords equal the names; production uses managed credentials, not this file.

SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', r.name, r.name)
FROM (VALUES ('auth'), ('event'), ('booking'), ('payment'), ('notification')) AS r(name)
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r.name)
\gexec

SELECT format('CREATE DATABASE %I OWNER %I', d.name, d.name)
FROM (VALUES ('auth'), ('event'), ('booking'), ('payment'), ('notification')) AS d(name)
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = d.name)
\gexec

-- Only the owner (and the superuser) may connect to a service's database.
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', d.name)
FROM (VALUES ('auth'), ('event'), ('booking'), ('payment'), ('notification')) AS d(name)
\gexec
