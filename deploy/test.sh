#!/usr/bin/env bash
# The README's test command: services up, formatting and lints checked, then every test of the workspace (unit, policy cases,
# API integration tests against real PostgreSQL, Redis and SMTP), then the district policy cases via the CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/services.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace --no-fail-fast
cargo run -q -p nuanxin -- policy test --mutants
