"""The JSON API root: one NinjaAPI, one error shape ``{"error": code, "message": ...}``."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(title="Taawun", version="1.0.0", description="A worker-owned co-op platform.")
