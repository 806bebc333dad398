"""Administrators grant and revoke the board and admin roles on the roles page."""

from __future__ import annotations

import pytest

from taawun.accounts.models import Role, RoleGrant
from taawun.accounts.selectors import roles_of
from taawun.transparency.models import AuditEntry

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def live() -> set[tuple[str, str]]:
    return set(RoleGrant.objects.filter(revoked_at=None).values_list("user__email", "role"))


def test_an_administrator_grants_the_board_role(client, founder, make_member) -> None:
    member = make_member(email="rana@example.org")
    client.force_login(founder)
    page = client.get("/roles/", **EN)
    assert page.status_code == 200
    assert page.content.decode().count("<tr>") == 1 + 2  # the founder: admin and board

    response = client.post("/roles/", {"email": "Rana@Example.org", "role": "board"}, **EN)
    assert response.status_code == 302 and response["Location"] == "/roles/"
    assert Role.BOARD in roles_of(type(member.user).objects.get(pk=member.user.pk))
    assert ("rana@example.org", "board") in live()
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.actor_id, entry.after) == (
        "role.granted",
        founder.pk,
        {"role": "board"},
    )


def test_bad_grants_are_refused_and_change_nothing(client, founder, make_member) -> None:
    make_member(email="rana@example.org")
    client.force_login(founder)
    before, seq = live(), AuditEntry.objects.count()
    unknown = client.post("/roles/", {"email": "nobody@example.org", "role": "board"}, **EN)
    assert unknown.status_code == 400
    assert "No active account has this email address." in unknown.content.decode()
    twice = client.post("/roles/", {"email": founder.email, "role": "board"}, **EN)
    assert twice.status_code == 409
    assert "This person already holds that role." in twice.content.decode()
    bad_role = client.post("/roles/", {"email": "rana@example.org", "role": "member"}, **EN)
    assert bad_role.status_code == 400
    assert (live(), AuditEntry.objects.count()) == (before, seq)


def test_revoking_a_role(client, founder, make_member) -> None:
    member = make_member(email="rana@example.org")
    client.force_login(founder)
    client.post("/roles/", {"email": "rana@example.org", "role": "board"}, **EN)
    grant = RoleGrant.objects.get(user=member.user, role="board")
    response = client.post(f"/roles/{grant.pk}/revoke/", **EN)
    assert response.status_code == 302
    assert ("rana@example.org", "board") not in live()
    assert client.post(f"/roles/{grant.pk}/revoke/", **EN).status_code == 404


def test_only_administrators_see_or_change_roles(client, founder, make_member) -> None:
    board_member = make_member(email="rana@example.org")
    client.force_login(founder)
    client.post("/roles/", {"email": "rana@example.org", "role": "board"}, **EN)
    grant = RoleGrant.objects.get(user=founder, role="admin")
    client.force_login(board_member.user)  # on the board, not an administrator
    before, seq = live(), AuditEntry.objects.count()
    assert client.get("/roles/", **EN).status_code == 403
    assert (
        client.post("/roles/", {"email": "rana@example.org", "role": "admin"}, **EN).status_code
        == 403
    )
    assert client.post(f"/roles/{grant.pk}/revoke/", **EN).status_code == 403
    assert (live(), AuditEntry.objects.count()) == (before, seq)
    client.logout()
    assert client.get("/roles/")["Location"].startswith("/accounts/login/")
