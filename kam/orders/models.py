"""Quotes, orders, deliveries, department tasks, timeliness."""
