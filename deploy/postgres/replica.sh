#!/bin/sh
# The streaming replica: on first start copy the primary (pg_basebackup -R writes the standby
# settings), then run as a hot standby that follows the primary's WAL.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    PGPASSWORD="$(cat "$PGPASSWORD_FILE")"
    export PGPASSWORD
    until pg_basebackup --host=postgres --username="$POSTGRES_USER" --pgdata="$PGDATA" \
        --wal-method=stream --write-recovery-conf --checkpoint=fast; do
        echo "waiting for the primary to accept a base backup"
        rm -rf "${PGDATA:?}"/*
        sleep 2
    done
    chmod 0700 "$PGDATA"
fi
exec postgres -c hot_standby=on -c hot_standby_feedback=on
