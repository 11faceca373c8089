# syntax=docker/dockerfile:1
# Answerline's image: one image for every role (`--role api`, `--role worker`) and for the
# migration job (`migrate`). Configuration and secrets come from the environment at run time;
# nothing secret is baked in. See docs/deploy.md.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The lockfile's `node` devDependency downloads a Node 24 binary for npm scripts; the image runs
# its own Node 24 instead, so that download is only needed to build and is pruned below.
RUN npm ci --no-audit --no-fund
COPY . .
# `npm start` would build the widget bundle in its prestart step; the image bakes it in instead,
# because the runtime stage has no esbuild and its file system is read-only in Kubernetes.
RUN node scripts/build-widgets.ts --quiet \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/tmp/answerline
WORKDIR /app
COPY --from=build --chown=node:node /app /app
# The official image's unprivileged user; nothing under /app needs to be writable.
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# No ENTRYPOINT: compose and Kubernetes give the whole command (`node cli.ts start --role api`,
# `node cli.ts migrate`), so what they say is exactly what runs.
CMD ["node", "cli.ts", "start", "--role", "all"]
