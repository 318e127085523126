#!/usr/bin/env bash
# The main job: set up .venv/ and run the default scenario (usual care), then compare it with
# MORE started in pregnancy on the same dyads and random numbers.
# Extra arguments (e.g. --dyads 500 --replicates 2) go to both commands. --force lets a re-run
# replace the earlier output of this job (only folders dyadsim wrote; never other files).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/env.sh"
cd "$root"
.venv/bin/dyadsim run examples/usual_care.yaml --out results/usual_care --force "$@"
.venv/bin/dyadsim compare examples/usual_care.yaml examples/more_prenatal.yaml --out results/usual_care_vs_more --force "$@"
