"""Celery tasks of mail: thin wrappers around its services."""

from __future__ import annotations
