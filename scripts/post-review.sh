#!/usr/bin/env bash
# Posts a sample AdmissionReview to the dev webhook and prints the answer with its decoded patch.
# Usage: scripts/post-review.sh [review.json] [mutate|validate]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
review=${1:-$here/reviews/pod-create.json}
endpoint=${2:-mutate}
curl -sS --fail-with-body --cacert "$here/../certs/dev/ca.crt" -H 'Content-Type: application/json' \
  --data-binary @"$review" "https://127.0.0.1:${PORT:-8443}/$endpoint" |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);
    if(r.response&&r.response.patch)r.response.patch=JSON.parse(Buffer.from(r.response.patch,"base64").toString());
    console.log(JSON.stringify(r,null,2))})'
