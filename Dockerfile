# The production image: runtime dependencies only, installed from hashed pins (requirements.lock;
# no embedded servers, no test tools), running `serve` as an unprivileged user.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY core ./core
COPY adapters ./adapters
COPY migrations ./migrations
RUN pip install --no-cache-dir --no-deps .
RUN useradd --create-home growth
USER growth
EXPOSE 8080
CMD ["growth-engine", "serve"]
