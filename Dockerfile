# hookflow's image: the same code runs the server (server/main.ts) or a worker (worker/main.ts).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY lib ./lib
COPY server ./server
COPY worker ./worker
COPY workflows ./workflows
COPY activities ./activities
COPY tsconfig.json ./
USER node
EXPOSE 3000
CMD ["npx", "tsx", "server/main.ts"]
