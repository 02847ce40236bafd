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
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 11411
# Exec form: node is PID 1 and receives SIGTERM from `docker stop` directly.
CMD ["node", "dist/main.js"]
