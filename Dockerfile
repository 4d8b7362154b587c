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
# Dependencies first: this layer is reused until the lockfile or a package.json changes.
COPY package.json package-lock.json ./
COPY apps/market-predictor/package.json apps/market-predictor/
COPY apps/devops-agent/package.json apps/devops-agent/
COPY apps/coding-agent/package.json apps/coding-agent/
COPY apps/command-gateway/package.json apps/command-gateway/
COPY apps/cli/package.json apps/cli/
COPY packages/contracts/package.json packages/contracts/
COPY packages/service-kit/package.json packages/service-kit/
COPY packages/storage/package.json packages/storage/
COPY packages/llm/package.json packages/llm/
COPY packages/container-engine/package.json packages/container-engine/
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
# What ships: production dependencies, and per workspace its package.json, compiled dist/src and
# data files (runbooks, prompts, evaluation scenarios); no sources, tests or test-only package.
COPY deploy/image/healthcheck.mjs /out/deploy/image/healthcheck.mjs
# The test-only workspace goes before the prune: it depends on vitest, which would keep the whole
# test toolchain (vite, esbuild, rolldown) in the image. Of better-sqlite3 only the compiled
# addon and its JavaScript are needed (its sources and objects are ~26 MB).
RUN mkdir -p /empty-data \
 && rm -rf packages/testing node_modules/@atb/testing \
 && npm prune --omit=dev --ignore-scripts --offline \
 && rm -rf node_modules/@types node_modules/.bin \
 && cd node_modules/better-sqlite3 \
 && find . -mindepth 1 -maxdepth 1 ! -name lib ! -name build ! -name package.json ! -name LICENSE -exec rm -rf {} + \
 && find build -mindepth 1 ! -path build/Release ! -path build/Release/better_sqlite3.node -delete \
 && test -f build/Release/better_sqlite3.node \
 && cd /src \
 && cp -a package.json node_modules /out/ \
 && for directory in apps/* packages/*; do \
      mkdir -p "/out/$directory"; \
      tar -C "$directory" --exclude=./src --exclude=./test --exclude=./dist/test --exclude='*.tsbuildinfo' --exclude='*.md' -cf - . \
        | tar -C "/out/$directory" -xf -; \
    done

# One runtime stage; each service's target below only sets its port, data path and command.
FROM ${BASE_IMAGE} AS runtime
WORKDIR /app
COPY --from=build /out /app
# The data directory, owned by the service's user; a new named volume starts as a copy of it.
COPY --from=build --chown=1000:1000 /empty-data /data
# Every setting comes from the environment (SPEC §3); these defaults suit a container.
ENV NODE_ENV=production \
    ENVIRONMENT=production \
    API_HOST=0.0.0.0 \
    DATA_DIR=/data \
    LOG_LEVEL=info
# uid/gid 1000 is `node` in the official images and in scripts/build-base-image.sh's base.
USER 1000:1000
VOLUME ["/data"]
# Node is PID 1 and handles SIGTERM itself (service-kit's runService: stop accepting, finish
# in-flight requests, close the stores, exit), so `docker stop` takes well under its 10 s grace.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD ["node", "/app/deploy/image/healthcheck.mjs"]

FROM runtime AS market-predictor
ENV API_PORT=8000
EXPOSE 8000
CMD ["node", "apps/market-predictor/dist/src/main.js"]

FROM runtime AS devops-agent
ENV API_PORT=8001
EXPOSE 8001
CMD ["node", "apps/devops-agent/dist/src/main.js"]

FROM runtime AS coding-agent
ENV API_PORT=8002 \
    WORKSPACE_BASE_PATH=/data/workspaces
EXPOSE 8002
CMD ["node", "apps/coding-agent/dist/src/main.js"]

FROM runtime AS command-gateway
ENV API_PORT=8003
EXPOSE 8003
CMD ["node", "apps/command-gateway/dist/src/main.js"]
