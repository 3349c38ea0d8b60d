# Lotsenbot as a container: the wheel is built in the first stage (it carries the compiled
# catalogs and the migrations, see setup.py) and installed into a slim runtime that runs as
# an unprivileged user with its data in a volume. README, "Betrieb / Operations".
#
#   docker build -t lotsenbot .
#   docker run -d --name lotsenbot -v lotsenbot-data:/var/lib/lotsenbot \
#       -e LOTSENBOT_TELEGRAM__TOKEN=… lotsenbot
ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim AS build
# Compilers for any dependency without a wheel for this platform (e.g. on arm64).
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential cmake \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml setup.py MANIFEST.in README.md alembic.ini babel.cfg ./
COPY bot ./bot
COPY handlers ./handlers
COPY migrations ./migrations
COPY locales ./locales
# Lotsenbot's wheel, then every dependency as a wheel: the runtime needs no compiler.
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /dist . \
    && pip wheel --no-cache-dir --wheel-dir /wheels /dist/lotsenbot-*.whl

FROM python:${PYTHON_VERSION}-slim AS runtime
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/lotsenbot \
        --shell /usr/sbin/nologin lotsenbot \
    && install -d -o lotsenbot -g lotsenbot -m 0700 /var/lib/lotsenbot
COPY --from=build /wheels /wheels
# The catalogs and migrations come with the wheel; the build fails if they did not.
RUN pip install --no-cache-dir --no-index --find-links=/wheels lotsenbot \
    && rm -rf /wheels \
    && python -c "from bot.infra.package_data import LOCALES_DIR, MIGRATIONS_DIR; \
assert (LOCALES_DIR / 'de/LC_MESSAGES/messages.mo').is_file(); \
assert (MIGRATIONS_DIR / 'env.py').is_file()"
ENV PYTHONUNBUFFERED=1 \
    LOTSENBOT_BOT__DATA_DIR=/var/lib/lotsenbot \
    LOTSENBOT_LOGGING__FORMAT=json \
    LOTSENBOT_WEB__ENABLED=true \
    LOTSENBOT_WEB__HOST=0.0.0.0 \
    LOTSENBOT_WEB__PORT=8080 \
    LOTSENBOT_WEB__CALENDAR=false
USER lotsenbot
WORKDIR /var/lib/lotsenbot
# The SQLite database, the Matrix login and keys, the one-time admin code.
VOLUME ["/var/lib/lotsenbot"]
EXPOSE 8080
# GET /health answers 503 while the database, a platform, the scheduler or the outbox is
# in trouble; urlopen raises on any answer but 2xx.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/health', timeout=5)"]
ENTRYPOINT ["lotsenbot"]
CMD ["run"]
