"""The PostgreSQL system catalogs that creating and dropping tables bloats, and their vacuuming.

Tests and benchmarks create and drop thousands of tables in scratch schemas, and each leaves
dead rows in the catalogs. Autovacuum clears them where it runs, but it is off on some servers
(this project's development machine among them) and blind after a restart that lost its
statistics. Left there, they slowed a 45,000-record load by up to 15% (docs/benchmarks.md).
A production database, which gains ten tables a month, does not need this.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

# The catalogs a scratch schema's tables, indexes and partitions add rows to.
CHURNED_CATALOGS = (
    "pg_class", "pg_attribute", "pg_type", "pg_depend", "pg_inherits", "pg_constraint", "pg_index",
    "pg_attrdef", "pg_statistic", "pg_namespace",
)  # fmt: skip


def vacuum_catalogs(admin: Engine) -> str:
    """VACUUM the churned catalogs (`admin` in autocommit mode); says what it found, or why it could not."""
    names = ", ".join(f"'{name}'" for name in CHURNED_CATALOGS)
    dead_rows = f"SELECT coalesce(sum(n_dead_tup), 0)::bigint FROM pg_stat_sys_tables WHERE relname IN ({names})"
    sizes = f"SELECT sum(pg_relation_size(oid))::bigint FROM pg_class WHERE relname IN ({names})"
    with admin.connect() as connection:
        dead, before = connection.exec_driver_sql(dead_rows).scalar(), connection.exec_driver_sql(sizes).scalar()
        try:
            connection.exec_driver_sql("VACUUM " + ", ".join(f"pg_catalog.{name}" for name in CHURNED_CATALOGS))
        except DBAPIError as error:  # not the database's owner, for one
            return f"could not vacuum the system catalogs ({str(error.orig).strip()})"
        after = connection.exec_driver_sql(sizes).scalar()
    return f"vacuumed the system catalogs: {dead:,} dead rows, {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB"
