# syntax=docker/dockerfile:1
# NovaPayments image: the server compiled to JavaScript (npm run build:server, into dist/) and the web pages
# built by Vite; nothing is compiled when a container starts.
#   docker build -t novapayments .
#   docker run -e MASTER_KEY=... -e DATABASE_URL=... -e REDIS_URL=... -p 3000:3000 novapayments
# The default command runs API and workers in one process; a role or the migration step is chosen by
# replacing the whole command, e.g. `... novapayments node --enable-source-maps dist/src/main.js --role api`
# (see docker-compose.yml); the CLI is `node dist/src/cli/index.js`.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- deps: production node_modules only, rebuilt only when the manifests change ----
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# .npmrc sets loglevel=silent (for clean `npm run cli -- --json` output); undo that here so an install
# failure is visible in the build log, as .ci/run does.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --loglevel=warn --no-audit --no-fund

# ---- web: the browser pages (/pay, /overlay, /portal), built once into web/dist; production never builds ----
FROM deps AS web
COPY tsconfig.json ./
COPY web ./web
RUN npx vite build --config web/vite.config.ts

# ---- server: src/, jobs/, schema/ and migrations/ as JavaScript in dist/ (esbuild, one file per file) ----
FROM deps AS server
COPY tsconfig.json ./
COPY scripts/build-server.ts ./scripts/build-server.ts
COPY src ./src
COPY jobs ./jobs
COPY schema ./schema
COPY migrations ./migrations
RUN npm run build:server

# ---- runtime ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app

# Dependencies first: this layer is reused until package-lock.json changes.
COPY --from=deps /app/node_modules ./node_modules
# package.json says the .js files are ES modules, and marks the project root (src/lib/paths.ts), from which
# the server reads the files below.
COPY package.json .npmrc ./
COPY --from=server /app/dist ./dist
COPY contracts ./contracts
COPY docs/openapi.yaml ./docs/openapi.yaml
COPY --from=web /app/web/dist ./web/dist
# The web pages' trusted GraphQL documents (src/http/trusted-documents.ts loads them at start).
COPY web/persisted-documents.json ./web/persisted-documents.json

# The code stays owned by root (read-only for the app). DATA_DIR (.data) is only written when MASTER_KEY is
# unset outside production; give it to the node user so a development-mode container can still start.
RUN mkdir -p /app/.data && chown node:node /app/.data

USER node
EXPOSE 3000

# The slim image has no curl; Node 20's global fetch does the probe. Liveness only: /readyz (PostgreSQL,
# Redis, migrations) is the readiness probe, used by docker-compose.yml for the api service.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# node runs the server itself (no npm in between), so SIGTERM from `docker stop` reaches main.ts's graceful
# shutdown directly. --enable-source-maps: stack traces in the logs name the .ts files and lines, as under tsx.
CMD ["node", "--enable-source-maps", "dist/src/main.js"]
