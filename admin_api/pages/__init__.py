"""The advisers' inbox at /admin/: server-rendered pages (French, Jinja2 templates of
admin_api/templates/) over the same services as the JSON API (bot.handoffs, bot.places, bot.staff).

security: sessions and CSRF · rendering: templates and error pages · session: who is behind a page or a
form · login: logging in and out · inbox: the list of questions · handoff: one question and its actions ·
places: places available. admin_api/static/inbox.js only enhances them (Ctrl+Enter, live updates)."""

from __future__ import annotations

from fastapi import APIRouter

from admin_api.pages import handoff, inbox, login, places, settings, stats
from admin_api.pages.handoff import PROBLEMS

router = APIRouter(include_in_schema=False)
for module in (login, inbox, handoff, places, stats, settings):
    router.include_router(module.router)

__all__ = ["PROBLEMS", "router"]
