# classfit as a container image: the repository installed and built by the README's quick start
# (`npm install && npm start`). Building at image time means a pod starts computing at once;
# `npm start` then finds the build cached and only runs the demo (into /app/runs/demo).
# The cluster manifests in deploy/ use this image with workingDir /app and run
# `node packages/host-node/dist/cli.js shard …` in it instead of the default command.
FROM node:20-bookworm

WORKDIR /app
COPY . .
RUN npm install --no-audit --no-fund
RUN npm run build

CMD ["npm", "start"]
