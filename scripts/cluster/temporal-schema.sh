#!/bin/sh
# Temporal's two databases on PostgreSQL: created when missing, then both schemas (persistence and SQL
# visibility) set up or upgraded to the server version. Safe to rerun: setup-schema keeps a newer version,
# update-schema applies only the missing versions. `npm run cluster` and docker-compose.temporal.yml run this.
#
# Reads the schema tool's own SQL_HOST, SQL_PORT, SQL_USER and SQL_PASSWORD; SCHEMA_DIR (the server version's
# schema/postgresql/v12); DBNAME and VISIBILITY_DBNAME (as the server config does); SQL_TOOL (the tool's path).
set -eu
tool="${SQL_TOOL:-temporal-sql-tool}"
persistence="${DBNAME:-temporal}"
visibility="${VISIBILITY_DBNAME:-temporal_visibility}"
# The tool's own log only when a step fails.
step() {
  out=$("$tool" --plugin postgres12 "$@" 2>&1) || { echo "$out"; echo "temporal-sql-tool $* failed"; exit 1; }
}
for db in "$persistence" "$visibility"; do
  if [ "$db" = "$persistence" ]; then dir="$SCHEMA_DIR/temporal/versioned"; else dir="$SCHEMA_DIR/visibility/versioned"; fi
  # Fails when the database exists (or the role may not create it: then setup-schema says so).
  "$tool" --plugin postgres12 --db "$db" create >/dev/null 2>&1 || true
  step --db "$db" setup-schema -v 0.0
  step --db "$db" update-schema -d "$dir"
  echo "database $db: schema up to date"
done
