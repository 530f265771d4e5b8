#!/usr/bin/env bash
# Reproduces the figures of simulator/README.md: every scenario, one JSON per run in out/sim/,
# then one line per run and policy. Usage: simulator/experiments.sh [DATA_DIR] (default ../shared/data)
# 10-30 minutes on a 2-core machine. ONLY=headline or ONLY=migration runs one of the two sets.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-../shared/data}
OUT=out/sim
mkdir -p "$OUT"
HISTORY=$DATA/carbon/history-2021-2023.csv
DAYAHEAD=$DATA/carbon/dayahead-2021H2.csv

run() { # name workload cluster carbon [flags...]
  local name=$1 workload=$2 cluster=$3 carbon=$4
  shift 4
  local began=$SECONDS
  node --import tsx simulator/cli.ts --carbon "$carbon" --workload "$DATA/workload/$workload.csv" \
    --cluster "simulator/clusters/$cluster.json" --json "$@" > "$OUT/$name.json"
  echo "$name $((SECONDS - began))" >> "$OUT/times.txt"
}

: > "$OUT/times.txt"
if [ "${ONLY:-}" != migration ]; then
  # The headline runs: every policy (baseline, carbon-kube, tuned, oracle) with the defaults.
  for w in azure pai; do
    wl=$([ "$w" = azure ] && echo azure-100k || echo pai-1k)
    run "$w-multi-nodelay" "$wl" "multi-grid-$w" "$HISTORY"
    for f in persistence perfect; do
      run "$w-multi-6h-$f" "$wl" "multi-grid-$w" "$HISTORY" --max-delay 6h --forecast "$f"
      run "$w-single-6h-$f" "$wl" "single-grid-ciso-$w" "$HISTORY" --max-delay 6h --forecast "$f"
      run "$w-dayahead-6h-$f" "$wl" "dayahead-3grid-$w" "$DAYAHEAD" --max-delay 6h --forecast "$f"
    done
    run "$w-dayahead-6h-dayahead" "$wl" "dayahead-3grid-$w" "$DAYAHEAD" --max-delay 6h --forecast "$DAYAHEAD"
    run "$w-single-nodelay" "$wl" "single-grid-ciso-$w" "$HISTORY"
    # Gated pods waiting for room in their preferred zone (GATE_WAIT_FOR_ROOM=true; off by default).
    run "$w-multi-6h-persistence-gateroom" "$wl" "multi-grid-$w" "$HISTORY" --max-delay 6h --forecast persistence --gate-room
    run "$w-dayahead-6h-persistence-gateroom" "$wl" "dayahead-3grid-$w" "$DAYAHEAD" --max-delay 6h --forecast persistence --gate-room
    run "$w-dayahead-6h-dayahead-gateroom" "$wl" "dayahead-3grid-$w" "$DAYAHEAD" --max-delay 6h --forecast "$DAYAHEAD" --gate-room
  done
fi

# The migrator's variants (issue 6) on the 4-grid clusters: off; the first live settings (any
# zone with room, restarts not weighed); cleanest zone only; the live defaults (cleanest zone,
# restarts weighed against the history's estimate); remaining run known; checkpointed jobs, carbon-kube only (with baseline and
# oracle for the ratios), without and with 6 h delays.
for w in $([ "${ONLY:-}" = headline ] || echo azure pai); do
  wl=$([ "$w" = azure ] && echo azure-100k || echo pai-1k)
  for d in nodelay 6h; do
    delay=()
    [ "$d" = 6h ] && delay=(--max-delay 6h)
    base=("$w-mig-$d" "$wl" "multi-grid-$w" "$HISTORY" ${delay[@]+"${delay[@]}"} --policy baseline,carbon-kube,oracle)
    run "${base[0]}-off" "${base[@]:1}" --no-migrate
    run "${base[0]}-any-unknown" "${base[@]:1}" --migrate-target any-with-room --remaining-runtime unknown
    run "${base[0]}-cleanest-unknown" "${base[@]:1}" --remaining-runtime unknown
    run "${base[0]}-live" "${base[@]:1}"
    run "${base[0]}-known" "${base[@]:1}" --remaining-runtime known
    run "${base[0]}-resume" "${base[@]:1}" --migration-cost resume
    if [ "$d" = 6h ]; then
      for v in "off --no-migrate" "any-unknown --migrate-target any-with-room --remaining-runtime unknown" "cleanest-unknown --remaining-runtime unknown" "live" "known --remaining-runtime known" "resume --migration-cost resume"; do
        read -r name flags <<< "$v"
        # shellcheck disable=SC2086 # flags is a list of words
        run "${base[0]}-$name-gateroom" "${base[@]:1}" $flags --gate-room
      done
    fi
  done
done

node -e '
const fs = require("fs");
const times = Object.fromEntries(fs.readFileSync(process.argv[1] + "/times.txt", "utf8").trim().split("\n").map((l) => l.split(" ")));
const h = (s) => (s / 3600).toFixed(2);
console.log("| run | policy | jobs | savings % (total) | savings % (jobs) | capture ratio | kg CO2 (jobs) | migrations | deadline misses | mean delay h | mean finish delay h | lost CPU-h | wall s |");
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
for (const name of Object.keys(times)) {
  const r = JSON.parse(fs.readFileSync(`${process.argv[1]}/${name}.json`, "utf8"));
  const base = r.policies.baseline.kg_co2_jobs;
  const oracle = r.policies.oracle ? r.policies.oracle.kg_co2_jobs : undefined;
  const total = r.policies.baseline.kg_co2;
  for (const policy of ["carbon-kube", "tuned"]) {
    const p = r.policies[policy];
    if (!p) continue;
    const jobs = (100 * (base - p.kg_co2_jobs)) / base;
    const all = (100 * (total - p.kg_co2)) / total;
    const capture = oracle === undefined || base - oracle <= 0 ? "n/a" : ((base - p.kg_co2_jobs) / (base - oracle)).toFixed(2);
    console.log(`| ${name} | ${policy} | ${r.jobs_total - r.jobs_skipped} | ${all.toFixed(1)} | ${jobs.toFixed(1)} | ${capture} | ${p.kg_co2_jobs.toFixed(0)} | ${p.migrations} | ${p.deadline_misses} | ${h(p.mean_delay_s)} | ${h(p.mean_finish_delay_s)} | ${p.lost_cpu_hours.toFixed(0)} | ${times[name]} |`);
  }
}' "$OUT"
