"""Celery tasks of calls: thin wrappers around its services."""

from __future__ import annotations
