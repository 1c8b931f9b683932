# Slim, non-root image of safetybot. Build: docker build -t safetybot .
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# The Chinese font embedded in the PDFs (整改通知单, QR posters).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-noto-cjk && rm -rf /var/lib/apt/lists/*
RUN groupadd --system safetybot && useradd --system --gid safetybot --home-dir /app safetybot

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY jobs ./jobs
COPY safety ./safety
COPY storage ./storage
COPY examples ./examples
RUN pip install . && mkdir -p /app/data && chown -R safetybot:safetybot /app/data

USER safetybot
ENV SAFETYBOT_DATA_DIR=/app/data \
    SAFETYBOT_DATABASE_URL=sqlite+aiosqlite:////app/data/safetybot.db \
    SAFETYBOT_LISTEN=0.0.0.0:8443
VOLUME ["/app/data"]
EXPOSE 8443 8080

# Healthy while the bot's scheduler keeps writing its heartbeat file (every 30 s, stale after 2 min).
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["safetybot", "health"]

ENTRYPOINT ["safetybot"]
CMD ["run"]
