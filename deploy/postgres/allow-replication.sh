#!/bin/sh
# Run once by the postgres image when it creates the primary's data directory: let the
# streaming replica connect for replication as the database owner, with a password.
set -eu
echo "host replication ${POSTGRES_USER} all scram-sha-256" >> "$PGDATA/pg_hba.conf"
