#!/usr/bin/env bash
# Makes sure what Nuanxin needs on this machine is installed and running: a C toolchain (the `ring` crate
# compiles C), PostgreSQL, Redis, an SMTP server for the mail tests (Python's aiosmtpd) and headless
# Chromium for the console's browser tests.
# Safe to run again: it only installs or starts what is missing. Debian/Ubuntu; needs root or sudo.
#
# A PostgreSQL this script installs is set up for local development: connections from this machine to
# itself are trusted. A PostgreSQL that was already installed is started if it is stopped, but its
# authentication is never changed: if `postgres` cannot connect to it on 127.0.0.1 without a password,
# the script stops and says what to do.
set -euo pipefail

# Rust comes first: nothing else matters without it, and it is not installed from here.
command -v cargo >/dev/null 2>&1 || {
  echo "cargo not found: install Rust with rustup (https://rustup.rs) first, then run this again" >&2
  exit 1
}

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
APT_UPDATED=""
apt_install() {
  if [ -z "$APT_UPDATED" ]; then $SUDO apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

# A C compiler and linker for the crates with C parts (ring).
if ! command -v cc >/dev/null 2>&1; then
  echo "installing a C toolchain (build-essential, pkg-config)"
  apt_install build-essential pkg-config
fi

pg_ready() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1; }

# PostgreSQL
installed_pg=""
if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
  echo "installing PostgreSQL"
  apt_install postgresql postgresql-client postgresql-contrib
  installed_pg=1
fi
if ! pg_ready; then
  version=$(ls /etc/postgresql | sort -V | tail -1)
  if [ -n "$installed_pg" ]; then
    # Our own fresh server: trust connections from this machine to itself (development and CI only).
    hba=/etc/postgresql/$version/main/pg_hba.conf
    printf 'host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n' | $SUDO tee /tmp/nuanxin-hba >/dev/null
    $SUDO sh -c "cat /tmp/nuanxin-hba '$hba' > '$hba.new' && mv '$hba.new' '$hba'"
  fi
  if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
  elif [ -n "$installed_pg" ]; then
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main reload 2>/dev/null || true
  fi
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && break; sleep 1; done
  if ! pg_ready; then
    if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
      cat >&2 <<'MSG'
PostgreSQL is running on 127.0.0.1:5432 but refuses `psql -h 127.0.0.1 -U postgres` without a password.
This script does not change an existing server's authentication. Either allow the postgres role to connect
from 127.0.0.1 (e.g. a pg_hba.conf line for this machine, or a ~/.pgpass entry for root), or run the demo
against another server with DATABASE_URL=postgres://USER:PASSWORD@HOST:PORT/nuanxin.
MSG
    else
      echo "PostgreSQL did not come up on 127.0.0.1:5432" >&2
    fi
    exit 1
  fi
fi

# Redis
if ! command -v redis-server >/dev/null 2>&1; then
  echo "installing Redis"
  apt_install redis-server
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  $SUDO mkdir -p /var/lib/redis /var/log/redis
  $SUDO redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/nuanxin.log
  for _ in $(seq 1 20); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
fi

# An SMTP server for the mail tests.
if ! python3 -c 'import aiosmtpd' 2>/dev/null && ! /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then
  apt_install python3-aiosmtpd || python3 -m pip install -q aiosmtpd
fi

# Headless Chromium for the console's browser tests (Debian's packages, driven through chromedriver),
# and a Chinese font so their screenshots show the pages as people read them.
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  echo "installing Chromium and its WebDriver"
  apt_install chromium chromium-driver
fi
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  echo "installing a Chinese font"
  apt_install fonts-wqy-zenhei
fi
