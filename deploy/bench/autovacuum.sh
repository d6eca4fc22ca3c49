# Sourced by the benchmarks of a served node.
#
# PostgreSQL's default, and any production server, runs autovacuum; a CI machine's configuration may turn
# it off (this one's conf.d does: the tests do not need it). The audit sealer reads a queue whose every
# row is deleted within seconds (`audit_unsealed`, tuned to be vacuumed once 5,000 rows are dead): without
# autovacuum its dead rows pile up (330,000 after a few runs here), each read of its head walks over them,
# and the benchmark measures a server no deployment runs. So a benchmark turns autovacuum on for its run,
# says so, and puts the server's own setting back when it ends (`restore_autovacuum`, from its EXIT trap).
AUTOVACUUM_TURNED_ON=
autovacuum_as_in_production() {
  if [ "$(psql -h 127.0.0.1 -U postgres -qAtc 'SHOW autovacuum')" = "off" ]; then
    psql -h 127.0.0.1 -U postgres -qAtc "ALTER SYSTEM SET autovacuum = on" -c "SELECT pg_reload_conf()" >/dev/null
    AUTOVACUUM_TURNED_ON=1
    echo "   autovacuum was off on this server: on for this benchmark, as in production (put back at the end)"
  fi
}
restore_autovacuum() {
  if [ -n "$AUTOVACUUM_TURNED_ON" ]; then
    psql -h 127.0.0.1 -U postgres -qAtc "ALTER SYSTEM RESET autovacuum" -c "SELECT pg_reload_conf()" >/dev/null || true
    AUTOVACUUM_TURNED_ON=
  fi
}
