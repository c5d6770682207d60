# LayerLab image for web and GPU training workers. The CUDA build of torch comes from PyPI
# (the same version the lock pins); front-end packages from npm. Nothing third-party is vendored.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 LAYERLAB_DATA_DIR=/data
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.lock package.json package-lock.json ./
RUN pip install --no-cache-dir -r requirements.lock && npm ci --no-audit --no-fund
COPY . .
# The partial plotly.js bundle, then hashed and compressed static files (build/staticfiles/) for WhiteNoise.
RUN node scripts/build_plotly.mjs && DJANGO_SETTINGS_MODULE=webapp.settings python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "webapp.asgi:application"]
