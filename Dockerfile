# syntax=docker/dockerfile:1
# Switchyard container image.
#   docker build -t switchyard .
#   docker run -p 8080:8080 switchyard                      # serves the bundled demo config (mock provider)
#   docker run -p 8080:8080 -v "$PWD/gateway.d:/etc/switchyard/gateway.d:ro" \
#     -e OPENAI_KEY_1 -v switchyard-usage:/app/usage switchyard
# Environment (all optional):
#   SWITCHYARD_CONFIG      config folder (default /etc/switchyard/gateway.d, baked from the repo's gateway.d)
#   PORT                   listen port (default 8080; overrides settings.listen.port)
#   SWITCHYARD_GIT_URL, SWITCHYARD_GIT_BRANCH, SWITCHYARD_GIT_PATH, SWITCHYARD_GIT_INTERVAL
#                          serve a config branch from git instead (pulls every interval seconds);
#                          GIT_SSH_COMMAND points ssh at a mounted deploy key for private repos
#   provider credentials   whatever ${ENV_NAME} / ${file:/run/secrets/...} references the config makes

# ---- build: dev dependencies + tsc -------------------------------------------------------
FROM node:24-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY schemas ./schemas
# tsc copies no .lua: the Redis limit store's scripts go beside their module.
RUN npx tsc -p tsconfig.json \
 && for f in $(find src -name '*.lua'); do mkdir -p "dist/$(dirname "${f#src/}")" && cp "$f" "dist/${f#src/}"; done

# ---- production dependencies only ---------------------------------------------------------
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime -------------------------------------------------------------------------------
FROM node:24-slim AS runtime
# git + ssh: only for `serve --git-url` (simple-git shells out to git); tini-free: node handles SIGTERM itself.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
 && rm -rf /var/lib/apt/lists/*
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
# Usage lines: a relative settings.usage.dir (./usage) resolves against /app.
# (The git-sync working copy goes to a fresh folder under /tmp.)
RUN mkdir -p /app/usage && chown node:node /app/usage
VOLUME ["/app/usage"]
# The official image's unprivileged user (uid 1000).
USER node
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["serve"]
