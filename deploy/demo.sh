#!/usr/bin/env bash
# The README's demo command: services up, then the demo with both districts on http://127.0.0.1:8080/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/services.sh
exec cargo run -q -p nuanxin -- demo "$@"
