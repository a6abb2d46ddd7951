# recon: one image for the one-shot migrate, the worker and the web service.
FROM node:20-slim
ENV NODE_ENV=production \
    RECON_LOG_FORMAT=json \
    RECON_DATA_DIR=/var/lib/recon \
    RECON_INBOX_DIR=/var/lib/recon/inbox \
    RECON_OUT_DIR=/var/lib/recon/out
WORKDIR /app
COPY package.json package-lock.json ./
# tsx runs the TypeScript sources directly, so the runtime needs the full dependency set.
RUN npm ci --include=dev && npm cache clean --force
COPY bin ./bin
COPY src ./src
COPY jobs ./jobs
COPY sql ./sql
RUN mkdir -p /var/lib/recon/inbox/ledger /var/lib/recon/inbox/invoices /var/lib/recon/inbox/usage /var/lib/recon/inbox/ratecards /var/lib/recon/out \
 && chown -R node:node /var/lib/recon
USER node
EXPOSE 8080
ENTRYPOINT ["node", "bin/recon.js"]
CMD ["--help"]
