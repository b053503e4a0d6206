# syntax=docker/dockerfile:1
# The movie-stats image: the API (`serve`, the default) and the importer (`import FILE`).
#   docker build -t movie-stats .
# Python dependencies are pinned with their hashes in requirements.lock (made from
# pyproject.toml by `uv pip compile`, command at its top); GraphiQL's assets are pinned by
# app/graphiql/package-lock.json and installed here, so the playground needs no CDN.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:20-bookworm-slim

# 1. GraphiQL's assets (npm ci: exactly the lock file's versions).
FROM ${NODE_IMAGE} AS graphiql
WORKDIR /build/app/graphiql
COPY app/graphiql/package.json app/graphiql/package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# 2. A virtual environment holding the locked dependencies, then the project itself.
FROM ${PYTHON_IMAGE} AS python
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
COPY requirements.lock /tmp/requirements.lock
RUN /opt/venv/bin/pip install --require-hashes --no-deps -r /tmp/requirements.lock
WORKDIR /srv/movie-stats
COPY pyproject.toml README.md ./
COPY app ./app
COPY db ./db
COPY importer ./importer
COPY resolvers ./resolvers
COPY schema ./schema
# Installed in place (editable) so that files beside the modules, GraphiQL's assets among them, are found.
RUN /opt/venv/bin/pip install --no-deps --editable . \
    && /opt/venv/bin/python -m compileall -q app db importer resolvers schema

# 3. The runtime: the same base image, the venv and the source, a user without privileges.
FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 movies \
    && useradd --system --uid 10001 --gid movies --home-dir /var/lib/movie-stats --create-home --shell /usr/sbin/nologin movies
COPY --from=python /opt/venv /opt/venv
COPY --from=python /srv/movie-stats /srv/movie-stats
COPY --from=graphiql /build/app/graphiql/node_modules /srv/movie-stats/app/graphiql/node_modules
COPY deploy/docker-entrypoint.sh /usr/local/bin/movie-stats-entrypoint
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
# The working directory is the user's own: the embedded SQLite file (no DATABASE_URL) lands here.
WORKDIR /var/lib/movie-stats
USER movies:movies
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2)"]
ENTRYPOINT ["movie-stats-entrypoint"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
