"""Operators may read proposals, comments and statements. Ballots, participations and
responses to statements are not registered at all: a secret ballot must not become browsable by
whoever runs the server, and the tie-break seed of an open vote is left out for the same reason."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from taawun.web.admin_mixins import ReadOnlyAdmin

from .models import Comment, Proposal, Statement


@admin.register(Proposal)
class ProposalAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["number", "title", "kind", "status", "created_at", "closes_at", "outcome"]
    list_filter = ["status", "kind", "outcome"]
    list_select_related = ["author"]
    search_fields = ["number", "title"]
    exclude = ["seed"]
    readonly_fields = ["published_seed"]

    @admin.display(description=_("tie-break seed"))
    def published_seed(self, proposal: Proposal) -> str:
        return proposal.seed if proposal.status == Proposal.Status.CLOSED else ""


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["id", "proposal", "author", "at"]
    list_select_related = ["proposal", "author"]
    search_fields = ["body"]


@admin.register(Statement)
class StatementAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["id", "proposal", "text", "at"]
    list_select_related = ["proposal"]
    search_fields = ["text"]
