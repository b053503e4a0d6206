#!/bin/sh
# Runs `movie-stats ARGS`. A database password given as a file (a Docker secret, PGPASSWORD_FILE)
# reaches libpq as PGPASSWORD, so it is never written in the compose file or in DATABASE_URL.
set -eu
if [ -n "${PGPASSWORD_FILE:-}" ]; then
    PGPASSWORD="$(cat "$PGPASSWORD_FILE")"
    export PGPASSWORD
fi
exec movie-stats "$@"
