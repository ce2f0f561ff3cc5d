"""Alembic migrations of the Growth Engine schema."""
