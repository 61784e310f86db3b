"""Thin blueprints: they read the request, call services, and render."""
