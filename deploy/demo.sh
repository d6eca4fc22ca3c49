#!/usr/bin/env bash
# The README's demo command: services up, then the demo with both districts on http://127.0.0.1:8080/.
# Built in release (the first build takes several minutes on a small machine; cargo shows its progress).
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/services.sh
echo "building nuanxin (release)…"
exec cargo run --release -p nuanxin --bin nuanxin -- demo "$@"
