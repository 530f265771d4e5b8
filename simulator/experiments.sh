#!/usr/bin/env bash
# Reproduces the headline figures of simulator/README.md: every scenario, one JSON per run in
# out/sim/, then one line per run. Usage: simulator/experiments.sh [DATA_DIR] (default ../shared/data)
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
done

node -e '
const fs = require("fs");
const times = Object.fromEntries(fs.readFileSync(process.argv[1] + "/times.txt", "utf8").trim().split("\n").map((l) => l.split(" ")));
console.log("| run | jobs | savings % (total) | savings % (jobs) | capture ratio | carbon-kube mean delay s | wall s |");
console.log("|---|---|---|---|---|---|---|");
for (const name of Object.keys(times)) {
  const r = JSON.parse(fs.readFileSync(`${process.argv[1]}/${name}.json`, "utf8"));
  const ck = r.policies["carbon-kube"];
  console.log(`| ${name} | ${r.jobs_total - r.jobs_skipped} | ${r.savings_pct} | ${r.savings_pct_jobs} | ${r.capture_ratio ?? "n/a"} | ${ck.mean_delay_s} | ${times[name]} |`);
}' "$OUT"
