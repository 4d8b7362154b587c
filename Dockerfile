# Autonomous Trading Builder: one build of the monorepo, one runtime image per service.
#   docker build --target market-predictor -t atb-market-predictor .
#   (targets: market-predictor, devops-agent, coding-agent, command-gateway; docs/deploy.md)
# Without a registry (no Docker Hub), build the bases from Debian packages first:
#   eval "$(bash scripts/build-base-image.sh)"
#   podman build --format docker --build-arg BASE_IMAGE="$BASE_IMAGE" --build-arg BUILD_IMAGE="$BUILD_IMAGE" …
# (--format docker: Podman keeps HEALTHCHECK only in Docker-format images.)

# Runs the services: Node 22 and a C/C++ runtime are all it needs.
ARG BASE_IMAGE=docker.io/library/node:22-bookworm-slim
# Builds the monorepo: Node 22 with npm, python3, make and g++ (better-sqlite3 compiles from source).
ARG BUILD_IMAGE=docker.io/library/node:22-bookworm

FROM ${BUILD_IMAGE} AS build
WORKDIR /src
# node-gyp compiles against the headers that ship with Node itself (no download), and the native
# module is built from source rather than fetched prebuilt, so the build works offline.
ENV npm_config_nodedir=/usr/local \
    npm_config_build_from_source=true \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false
# Dependencies first: this layer is reused until the lockfile or a package.json changes. Every
# workspace's package.json is listed (apps/cli/test/service-tree.test.ts checks the list is whole).
COPY package.json package-lock.json ./
COPY apps/cli/package.json apps/cli/
COPY apps/coding-agent/package.json apps/coding-agent/
COPY apps/command-gateway/package.json apps/command-gateway/
COPY apps/devops-agent/package.json apps/devops-agent/
COPY apps/market-predictor/package.json apps/market-predictor/
COPY packages/clients/package.json packages/clients/
COPY packages/container-engine/package.json packages/container-engine/
COPY packages/contracts/package.json packages/contracts/
COPY packages/llm/package.json packages/llm/
COPY packages/queue/package.json packages/queue/
COPY packages/service-kit/package.json packages/service-kit/
COPY packages/storage/package.json packages/storage/
COPY packages/testing/package.json packages/testing/
# --ignore-scripts: the root's `prepare` (tsc --build) needs the sources, which come later;
# better-sqlite3 is the one native module the services need, built explicitly. The npm cache
# persists between builds; behind a TLS-intercepting proxy, pass its CA as the build secret
# `npm_ca` (`--secret id=npm_ca,src=ca.crt`): it is read from a mount, never stored in a layer.
RUN --mount=type=cache,target=/root/.npm --mount=type=secret,id=npm_ca \
    NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca npm ci --ignore-scripts && npm rebuild better-sqlite3
COPY tsconfig.base.json tsconfig.json ./
COPY packages packages
COPY apps apps
RUN npx tsc --build
# What ships, per service: its production dependency closure only (deploy/image/service-tree.mjs:
# no devDependencies anywhere, so no test toolchain; no sources, declarations, maps or compiled
# tests; of a native module only its addon), plus the image's healthcheck.
COPY deploy/image /src/deploy/image
RUN for service in market-predictor devops-agent coding-agent command-gateway; do \
      node deploy/image/service-tree.mjs "apps/$service" "/out/$service" \
      && mkdir -p "/out/$service/deploy/image" \
      && cp deploy/image/healthcheck.mjs "/out/$service/deploy/image/" || exit 1; \
    done \
 && mkdir -p /empty-data

# One runtime stage; each service's target below only sets its port, data path and command.
FROM ${BASE_IMAGE} AS runtime
WORKDIR /app
# The data directory, owned by the service's user; a new named volume starts as a copy of it.
COPY --from=build --chown=1000:1000 /empty-data /data
# Every setting comes from the environment; these defaults suit a container.
ENV NODE_ENV=production \
    ENVIRONMENT=production \
    API_HOST=0.0.0.0 \
    DATA_DIR=/data \
    LOG_LEVEL=info
# uid/gid 1000 is `node` in the official images and in scripts/build-base-image.sh's base.
USER 1000:1000
VOLUME ["/data"]
# Node is PID 1 (exec-form CMD, no shell in between) and handles SIGTERM itself (service-kit's
# runService: stop accepting, finish in-flight requests, close the stores, exit), so `docker stop`
# takes well under its 10 s grace.
STOPSIGNAL SIGTERM
# The engine runs the first check one interval after the start, so the interval bounds how soon a
# container is reported healthy (and how soon `depends_on: service_healthy` lets the next one
# start): 2 s, at ~0.1 s of CPU per check. (Docker 25's --start-interval would allow a longer
# steady interval, but Podman 4.3's builder rejects the flag.)
HEALTHCHECK --interval=2s --timeout=2s --start-period=30s --retries=3 CMD ["node", "/app/deploy/image/healthcheck.mjs"]

FROM runtime AS market-predictor
COPY --from=build /out/market-predictor /app
ENV API_PORT=8000
EXPOSE 8000
CMD ["node", "apps/market-predictor/dist/src/main.js"]

FROM runtime AS devops-agent
COPY --from=build /out/devops-agent /app
ENV API_PORT=8001
EXPOSE 8001
CMD ["node", "apps/devops-agent/dist/src/main.js"]

FROM runtime AS coding-agent
COPY --from=build /out/coding-agent /app
ENV API_PORT=8002 \
    WORKSPACE_BASE_PATH=/data/workspaces
EXPOSE 8002
CMD ["node", "apps/coding-agent/dist/src/main.js"]

FROM runtime AS command-gateway
COPY --from=build /out/command-gateway /app
ENV API_PORT=8003
EXPOSE 8003
CMD ["node", "apps/command-gateway/dist/src/main.js"]
