#!/usr/bin/env bash
# Issue 7's check: the tuner trained on 2021-2022 and evaluated on 2023 against fixed thresholds,
# on the 4-grid Azure cluster (the trace is one year: replayed from January 1st of each year).
# Usage: simulator/tuner-eval.sh [DATA_DIR] [simulator flags...]
#   (default ../shared/data; e.g. simulator/tuner-eval.sh ../shared/data --migration-cost resume)
# The migrator runs with the live defaults (toward the cleanest zone only, weighing a restart
# against the history's estimate of the remaining run); flags given after DATA_DIR are passed to
# every run. The sweep includes both edges of the tuner's rails (240 and 360 g around 300 g).
# TUNER_EVAL_FLAGS passes options to the evaluation itself, e.g. "--training sweep" or
# "--savings measured"; TUNER_EVAL_OUT changes the output folder. About 6 minutes.
# Writes out/tuner-eval/model.json (a tuner model, usable with --tuner-model and in the live
# ConfigMap) and out/tuner-eval/evaluation.json, and prints the sweep and the verdict.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-../shared/data}
shift || true
node --import tsx simulator/tuning/tunerEval.ts --train 2021,2022 --eval 2023 ${TUNER_EVAL_FLAGS:-} \
  --thresholds 150,200,240,250,300,350,360,400 --out "${TUNER_EVAL_OUT:-out/tuner-eval}" -- \
  --carbon "$DATA/carbon/history-2021-2023.csv" --workload "$DATA/workload/azure-100k.csv" \
  --cluster simulator/clusters/multi-grid-azure.json "$@"
