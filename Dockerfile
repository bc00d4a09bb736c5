# syntax=docker/dockerfile:1
# The auth service image. Multi-stage: dependencies and the TypeScript build stay in builder
# stages; the runtime image holds production dependencies, dist/ and the migrations, and runs as
# the unprivileged `node` user. No native Prisma engine is needed anywhere: queries go through
# @prisma/adapter-pg and migrations through @prisma/schema-engine-wasm, at start-up
# (MIGRATE_ON_START, default true). tests/hasura/dockerfile.test.ts replays these stages.

ARG NODE_IMAGE=node:20-bookworm-slim

# All dependencies. npm ci runs the project's postinstall (`prisma generate`), which needs the
# Prisma schema and prisma.config.ts (with its engine stub) before the sources arrive.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
RUN npm ci

# The same artefact as `npm run build`: tsc compiles src/, the generated Prisma client included.
FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Production dependencies only. --omit=dev alone keeps the Prisma CLI and TypeScript, because
# @prisma/client lists them as optional peers (npm marks such packages "devOptional"): omitting
# optional and peer-only packages too takes node_modules from ~410 MB to ~160 MB. Scripts are
# skipped: the Prisma client is already compiled into dist/, and bcrypt loads the prebuilt
# binary shipped in its package at run time.
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --omit=peer --ignore-scripts

FROM ${NODE_IMAGE} AS runtime
# MALLOC_ARENA_MAX=2: glibc gives each thread that allocates (V8's helpers, the thread pool that
# runs bcrypt) an arena of its own, and keeps what each touched; two arenas are plenty for one
# event loop and take about 7 MB off the resident size at rest (bench/README.md). The bench
# starts the service with this stage's ENV and CMD, read from this file.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    MALLOC_ARENA_MAX=2
WORKDIR /app
# Owned by root and read-only to the service: it cannot rewrite its own code.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/dist ./dist
# dist/db/migrate.js finds them at ../../prisma/migrations.
COPY prisma/migrations ./prisma/migrations
USER node
EXPOSE 4000
# The slim image has no curl: Node's own fetch asks the readiness probe (database reachable).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node runs as PID 1 and handles SIGTERM itself (src/main.ts drains requests, then exits).
# --max-semi-space-size=4: under steady load V8 grows its young generation to two 16 MB
# semi-spaces and keeps them, a fifth of the service's resident memory. Capped at 4 MB each,
# resident memory after load is about 25 MB lower, for more frequent scavenges: about 5-8 % more
# CPU per request in the bench's refresh and action runs (bench/README.md), the price of fitting
# the memory target.
CMD ["node", "--max-semi-space-size=4", "dist/main.js"]
