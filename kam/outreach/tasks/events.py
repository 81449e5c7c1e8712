"""Celery tasks of events: thin wrappers around its services."""

from __future__ import annotations
