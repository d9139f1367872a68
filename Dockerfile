# One image for both processes: `hotq-api` (the default command) and `hotq-worker`.
# Build: docker build -t hotq .
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json turbo.json tsconfig.base.json api-extractor.base.json ./
COPY packages ./packages
COPY tools ./tools
RUN npm ci --no-audit --no-fund \
 && npx turbo run build --filter=@hotq/api --filter=@hotq/worker \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/packages/queue-core/package.json ./packages/queue-core/
COPY --from=build /src/packages/queue-core/dist ./packages/queue-core/dist
COPY --from=build /src/packages/jobs-store/package.json ./packages/jobs-store/
COPY --from=build /src/packages/jobs-store/dist ./packages/jobs-store/dist
COPY --from=build /src/packages/api/package.json ./packages/api/
COPY --from=build /src/packages/api/dist ./packages/api/dist
COPY --from=build /src/packages/api/bin ./packages/api/bin
COPY --from=build /src/packages/worker/package.json ./packages/worker/
COPY --from=build /src/packages/worker/dist ./packages/worker/dist
COPY --from=build /src/packages/worker/bin ./packages/worker/bin
ENV PATH=/app/node_modules/.bin:$PATH
USER node
EXPOSE 3000
CMD ["hotq-api", "--host", "0.0.0.0"]
