"""Celery tasks of campaigns: thin wrappers around its services."""

from __future__ import annotations
