"""The unread count in the site's navigation: one COUNT query per page, none for visitors."""

from __future__ import annotations

from typing import Any

from django import template

from taawun.notifications.selectors import calendar_links, unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context: dict[str, Any]) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    if getattr(request, "shared_page", False):  # a page shared by many people shows no count
        return 0
    return unread_count(user)


@register.simple_tag(takes_context=True)
def calendar_feed_links(context: dict[str, Any]) -> dict[str, str] | None:
    """The signed-in person's calendar feed URLs (absolute), or None before they made them."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return None
    links = calendar_links(user)
    if links is None:
        return None
    return {name: request.build_absolute_uri(path) for name, path in links.items()}
