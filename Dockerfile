# The image of any one service, built from the repository root:
#   docker build --build-arg SERVICE=event --build-arg PORT=8002 -t ticketing-event:dev .
# docker-compose.yml passes both for each of the five services.
FROM python:3.11.16-slim-bookworm

# Which service (auth, event, booking, payment, notification) and the port it listens on.
ARG SERVICE
ARG PORT

# The service's settings read SERVICE_NAME and SERVICE_PORT too: they agree with the image.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SERVICE_NAME=${SERVICE} \
    SERVICE_PORT=${PORT}

WORKDIR /app

# Without both arguments the image would start nothing: say so at build time.
RUN [ -n "${SERVICE}" ] && [ -n "${PORT}" ] \
    || { echo "build with --build-arg SERVICE=<name> --build-arg PORT=<port>" >&2; exit 1; }

# The service's own locked third-party dependencies first (cached until that file changes).
COPY requirements/services/${SERVICE}.txt /tmp/requirements.txt
RUN pip install --no-cache-dir --require-hashes -r /tmp/requirements.txt

COPY shared /app/shared
COPY services/${SERVICE} /app/services/${SERVICE}
# The service is installed in place (editable), so it finds its migrations/ and the files inside
# its package (event's holds/lua/*.lua) where the source tree has them.
RUN pip install --no-cache-dir --no-deps /app/shared \
    && pip install --no-cache-dir --no-deps --editable "/app/services/${SERVICE}" \
    && groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home app \
    && mkdir -p /app/var/keys /app/var/tickets \
    && chown -R app:app /app/var

USER 10001:10001
EXPOSE ${PORT}

HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=5 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ['SERVICE_PORT']}/health/ready\", timeout=2)"]

# exec: uvicorn replaces the shell and gets the container's signals. Whom --proxy-headers
# believes comes from FORWARDED_ALLOW_IPS (compose: the gateway's address only).
CMD ["sh", "-c", "exec uvicorn \"${SERVICE_NAME}_service.main:create_app\" --factory --host 0.0.0.0 --port \"${SERVICE_PORT}\" --proxy-headers"]
