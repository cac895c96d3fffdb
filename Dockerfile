# syntax=docker/dockerfile:1
# Switchyard container image.
#   make image                                               # docker build with the commit and date filled in
#   docker build -t switchyard .                              # lean image: folder config (no git, ssh or perl)
#   docker build --target git -t switchyard:git .             # adds git + openssh-client for `serve --git-url`
#   docker run -p 8080:8080 switchyard                        # serves the bundled demo config (mock provider)
#   docker run -p 8080:8080 -v "$PWD/gateway.d:/etc/switchyard/gateway.d:ro" \
#     -e OPENAI_KEY_1 -v switchyard-usage:/app/usage switchyard
# Environment (all optional):
#   SWITCHYARD_CONFIG      config folder (default /etc/switchyard/gateway.d, baked from the repo's gateway.d)
#   PORT                   listen port (default 8080; overrides settings.listen.port)
#   SWITCHYARD_HEALTH_PORT a second listener with only /healthz and /readyz (for kubelet probes of a loopback sidecar)
#   SWITCHYARD_GIT_URL, SWITCHYARD_GIT_BRANCH, SWITCHYARD_GIT_PATH, SWITCHYARD_GIT_INTERVAL
#                          serve a config branch from git instead (the `git` target only);
#                          GIT_SSH_COMMAND points ssh at a mounted deploy key for private repos
#   SWITCHYARD_GIT_WEBHOOK_SECRET  enables POST /-/hooks/git (signed push webhook) under git
#   provider credentials   whatever ${ENV_NAME} / ${file:/run/secrets/...} references the config makes
#
# Build args: VCS_REF (commit, written to dist/build-info.json and the OCI revision label),
# BUILD_DATE (RFC 3339), VERSION (defaults to package.json's). `make image` fills them in.

# ---- base: the Node 24 LTS slim image, pinned by digest -----------------------------------
# The digest is the multi-arch index of node:24-slim, so every stage builds from the same
# bytes and a rebuild next month gets the same base. To bump it (monthly, or for a Node/Debian CVE):
#   docker buildx imagetools inspect node:24-slim --format '{{json .Manifest.Digest}}'
#   (or: crane digest node:24-slim), paste it below, rebuild, run `make test` and the image smoke test.
FROM node:24-slim@sha256:a9f5f7c91a432850b2a8a7797adf5eadb6c733ceed61167806cee7ea7fbc29df AS base

# ---- build: dev dependencies + tsc -------------------------------------------------------
FROM base AS build
ARG VCS_REF=unknown
ARG BUILD_DATE=unknown
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY schemas ./schemas
# tsc copies no .lua: the Redis limit store's scripts go beside their module.
# build-info.json is what `switchyard --version` prints (the Makefile's build writes the same file;
# .git is not in the build context, so the commit comes in as a build arg).
RUN npx tsc -p tsconfig.json \
 && for f in $(find src -name '*.lua'); do mkdir -p "dist/$(dirname "${f#src/}")" && cp "$f" "dist/${f#src/}"; done \
 && printf '{"commit":"%s","built_at":"%s"}\n' "$VCS_REF" "$BUILD_DATE" > dist/build-info.json

# ---- production dependencies only ---------------------------------------------------------
FROM base AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- common runtime: tini as PID 1, the app, the demo config --------------------------------
FROM base AS common
ARG VCS_REF=unknown
ARG BUILD_DATE=unknown
ARG VERSION=0.1.0
ARG SOURCE_URL=https://switchyard.dev
# tini reaps the git/ssh children of git mode and forwards SIGTERM/SIGHUP to node (PID 1 would
# otherwise ignore signals it has no handler for and never reap zombies). Nothing else is added:
# no git, no ssh, no perl in the default image.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
LABEL org.opencontainers.image.title="switchyard" \
      org.opencontainers.image.description="Stateless, config-as-code LLM gateway" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.url="https://switchyard.dev" \
      org.opencontainers.image.vendor="Switchyard" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${VCS_REF}" \
      org.opencontainers.image.created="${BUILD_DATE}" \
      org.opencontainers.image.base.name="docker.io/library/node:24-slim"
ENV NODE_ENV=production \
    SWITCHYARD_CONFIG=/etc/switchyard/gateway.d \
    PORT=8080
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY schemas ./schemas
# The bundled demo config, replaced by mounting a folder over /etc/switchyard/gateway.d.
COPY gateway.d /etc/switchyard/gateway.d
# Usage lines (and the spend checkpoint beside them): a relative settings.usage.dir (./usage)
# resolves against /app. (The git-sync working copy goes to a fresh folder under /tmp.)
RUN mkdir -p /app/usage && chown node:node /app/usage
VOLUME ["/app/usage"]
# The official image's unprivileged user (uid 1000).
USER node
EXPOSE 8080
# `switchyard probe` is a small node:http GET (the CLI loads no gateway code for it).
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "dist/cli.js", "probe", "/healthz"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "dist/cli.js"]
CMD ["serve"]

# ---- git: `serve --git-url` needs git (simple-git shells out to it) and ssh for private repos.
# Debian's git depends on perl, so perl comes with this variant only.
FROM common AS git
USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
 && rm -rf /var/lib/apt/lists/*
USER node

# ---- runtime (the default target, last): the lean image --------------------------------------
FROM common AS runtime
