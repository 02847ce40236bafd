# syntax=docker/dockerfile:1

# Build stage: all dependencies (TypeScript, Nest CLI), exactly as the lock file says.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
RUN npm run build

# Runtime stage: production dependencies and the compiled code only, run as the unprivileged "node" user.
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
# V8's young generation held to 2 MB semi-spaces: about 13 MB less resident memory idle (116 -> 103 MB)
# and under load, measured with `npm run bench` (README "Performance"), which runs every proxy with these
# flags. Requests allocate little that survives, so the smaller nursery costs no CPU the bench can see.
ENV NODE_OPTIONS="--max-semi-space-size=2"
# glibc gives each thread that allocates (V8's GC and compiler helpers, libuv's pool) its own malloc arena;
# two arenas hold about 1.5 MB less resident memory idle and fragment less under load. The bench runs
# every proxy with it too.
ENV MALLOC_ARENA_MAX=2
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 11411
# Exec form: node is PID 1 and receives SIGTERM from `docker stop` directly.
CMD ["node", "dist/main.js"]
