# hookflow's image: the compiled code (npm run build: dist/, with the workflow bundle prebuilt), run
# by plain node. The same image runs the server (the default command) or a worker
# (`node dist/worker/main.js`). No TypeScript compiler, tsx or webpack at run time.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY lib ./lib
COPY server ./server
COPY worker ./worker
COPY workflows ./workflows
COPY activities ./activities
COPY cli ./cli
COPY scripts ./scripts
COPY app ./app
COPY index.ts ./
RUN npm run build

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY index.cjs testing.cjs workflow.cjs load-entry.cjs ./
# The sources an app's workflows import (`hookflow/workflow`): bundled with them when a worker starts.
COPY workflows ./workflows
COPY lib/contracts ./lib/contracts
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
CMD ["node", "dist/server/main.js"]
