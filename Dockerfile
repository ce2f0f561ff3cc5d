FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY core ./core
COPY adapters ./adapters
COPY migrations ./migrations
RUN pip install --no-cache-dir .
RUN useradd --create-home growth
USER growth
EXPOSE 8080
CMD ["growth-engine", "run"]
