from taawun.members.models import Membership


def test_member_is_admitted_with_register_number(make_member, founder):
    membership = make_member(paid=1)
    assert membership.number == 2
    assert Membership.objects.count() == 2
