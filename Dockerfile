# syntax=docker/dockerfile:1
#
# The service image. It runs against an external PostgreSQL: set DATABASE_URL. The embedded
# PostgreSQL is for development on one machine and its binaries are not in the image (optional
# dependencies are left out); without DATABASE_URL the container stops at start-up saying so.
#
#   docker build -t conversation-log .
#   docker run -e DATABASE_URL=postgres://user:password@db:5432/conversations -p 3000:3000 conversation-log



# --- build: every dependency, then the TypeScript compile -------------------------------------
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY client/package.json ./client/
# No install scripts: the compile needs none (package.json "allowScripts" runs none but the
# embedded PostgreSQL's, and that package is not needed here).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY projections ./projections
COPY legacy-import ./legacy-import
COPY bench ./bench
COPY test/support ./test/support
# The web console (served from dist/console when CONSOLE_ENABLED=true) is bundled with the client's source.
COPY console ./console
COPY client/src ./client/src
RUN npm run build

# --- runtime: production dependencies and the compiled output only ---------------------------
FROM node:20.20.2-bookworm-slim AS runtime
WORKDIR /app
ENV HOST=0.0.0.0 \
    PORT=3000 \
    NODE_ENV=production
COPY package.json package-lock.json ./
COPY client/package.json ./client/
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
    && npm cache clean --force
COPY --from=build /app/dist ./dist
# The unprivileged "node" user of the base image; nothing under /app is writable by it.
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/ready', { signal: AbortSignal.timeout(2500) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/main.js"]
