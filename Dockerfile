# syntax=docker/dockerfile:1
# carbon-kube: the admission webhook and its controllers in one process.
#   docker build -t <registry>/carbon-kube:0.1.0 .
# The TypeScript runs through tsx, exactly as in development and CI, so modules find their data
# files (poller/data/*.csv) beside them and nothing is compiled differently for production.

ARG NODE_MAJOR=20

# Production dependencies only, from the lock file (tsx is one: it runs the service).
FROM node:${NODE_MAJOR}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# Distroless: no shell, no package manager; the nonroot user is 65532, as in the manifests.
FROM gcr.io/distroless/nodejs${NODE_MAJOR}-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY certs ./certs
COPY poller ./poller
COPY webhook ./webhook
COPY controllers ./controllers
COPY tuner ./tuner
USER 65532:65532
# 8443: HTTPS admission endpoints and probes; 9090: plain-HTTP /metrics.
EXPOSE 8443 9090
# tsx keeps its compile cache under $TMPDIR: the manifests mount an emptyDir on /tmp because the
# root filesystem is read-only.
ENTRYPOINT ["/nodejs/bin/node", "--import", "tsx", "webhook/main.ts"]
