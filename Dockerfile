# syntax=docker/dockerfile:1
# NovaPayments image: TypeScript run by tsx (a runtime dependency); only the web pages are built (Vite).
#   docker build -t novapayments .
#   docker run -e MASTER_KEY=... -e DATABASE_URL=... -e REDIS_URL=... -p 3000:3000 novapayments
# The default command runs API and workers in one process; a role or the migration step is chosen by
# replacing the whole command, e.g. `... novapayments node --import tsx src/main.ts --role api`
# (see docker-compose.yml).

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

# ---- runtime ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app

# Dependencies first: this layer is reused until package-lock.json changes.
COPY --from=deps /app/node_modules ./node_modules
# tsconfig.json is read by tsx at run time, so the image compiles exactly as development does.
COPY package.json .npmrc tsconfig.json ./
COPY migrations ./migrations
COPY contracts ./contracts
COPY docs/openapi.yaml ./docs/openapi.yaml
COPY schema ./schema
COPY jobs ./jobs
COPY src ./src
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

# node --import tsx runs in this one process (the `tsx` CLI would fork a child), so SIGTERM from
# `docker stop` reaches main.ts's graceful shutdown directly.
CMD ["node", "--import", "tsx", "src/main.ts"]
