# The Flourish Realtime server. docker-compose.yml runs it with PostgreSQL, Redis and coturn.

# The browser client, built with Node; only its output (web/dist) goes into the image.
FROM node:22-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/index.html web/tsconfig.json web/vite.config.ts ./
COPY web/src ./src
COPY web/public ./public
RUN npm run build

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Install from a copy of the source that is removed afterwards: the image runs the installed
# package (migrations included as package data), never the checkout.
WORKDIR /src
COPY pyproject.toml README.md ./
COPY realtime ./realtime
COPY booking ./booking
COPY signalling ./signalling
COPY media ./media
RUN pip install . && rm -rf /src

RUN useradd --system --uid 10001 --user-group --home-dir /app --create-home flourish
COPY --from=web /web/dist /srv/web
ENV WEB_DIST=/srv/web
WORKDIR /app
USER flourish

EXPOSE 8080
CMD ["flourish", "serve", "--host", "0.0.0.0"]
