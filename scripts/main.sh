#!/usr/bin/env bash
# The main job: set up .venv/ and run the default scenario (usual care).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/env.sh"
cd "$root"
exec .venv/bin/dyadsim run examples/usual_care.yaml --out results/usual_care "$@"
