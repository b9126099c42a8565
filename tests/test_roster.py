"""The roster screens: who sees which pupils and groups, and what admins change.

Role x route matrices check every roster route for every role; the form tests check that
errors are shown beside the field and nothing typed is lost.
"""
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from rrp_pwa.conversations.chats import lunchtime_chats, record_quick_chat
from rrp_pwa.extensions import db
from rrp_pwa.models import Group, Pupil, Staff
from rrp_pwa.models.audit import AuditEvent
from rrp_pwa.models.roster import NO_PASSWORD
from rrp_pwa.roster.directory import (
    RosterError,
    add_staff,
    give_first_password,
    roles_taken_away,
    save_group,
    save_pupil,
    search_pupils,
    set_group_members,
    set_staff_active,
    update_staff,
    visible_groups,
    visible_pupils,
)
from rrp_pwa.records.access import reads_everything_about, taught_by, teaches
from tests.conftest import PASSWORD, make_group, make_pupil, make_school, make_staff

ROLES = ("admin", "teacher", "support", "pastoral", "dsl")


@pytest.fixture
def school_roster(app):
    """A school with a class taught by ``teacher`` (support assistant attached) and a class
    taught by someone else; one pupil in each."""
    school = make_school()
    people = {role: make_staff(school, (role,), name=f"The {role}") for role in ROLES}
    other_teacher = make_staff(school, ("teacher",), name="Other Teacher")
    mine_pupil = make_pupil(school, "Amira", "Khan")
    other_pupil = make_pupil(school, "Oliver", "Smith", year_group="Year 3")
    mine = make_group(school, "Year 5 Cedar", pupils=[mine_pupil], staff=[people["teacher"], people["support"]])
    other = make_group(school, "Year 3 Hazel", pupils=[other_pupil], staff=[other_teacher])
    db.session.commit()
    return {"school": school, "people": people, "mine_pupil": mine_pupil, "other_pupil": other_pupil,
            "mine": mine, "other": other, "other_teacher": other_teacher}


def route(name: str, roster: dict) -> str:
    ids = {"pupil": roster["mine_pupil"].id, "other_pupil": roster["other_pupil"].id,
           "group": roster["mine"].id, "other_group": roster["other"].id,
           "staff": roster["other_teacher"].id}
    return name.format(**ids)


WHOLE_SCHOOL = {"admin", "pastoral", "dsl"}
EVERYONE = set(ROLES)

# (url, roles answered 200; everyone else gets the status in the third column)
GET_MATRIX = [
    ("/", EVERYONE, None),
    ("/account", EVERYONE, None),
    ("/pupils", EVERYONE, None),
    ("/pupils?q=am", EVERYONE, None),
    ("/groups", EVERYONE, None),
    ("/pupils/{pupil}", EVERYONE, None),
    ("/pupils/{other_pupil}", WHOLE_SCHOOL, 404),
    ("/groups/{group}", EVERYONE, None),
    ("/groups/{other_group}", WHOLE_SCHOOL, 404),
    ("/admin/staff", {"admin"}, 403),
    ("/admin/staff/new", {"admin"}, 403),
    ("/admin/staff/{staff}", {"admin"}, 403),
    ("/admin/pupils/new", {"admin"}, 403),
    ("/admin/pupils/{pupil}/edit", {"admin"}, 403),
    ("/admin/groups/new", {"admin"}, 403),
    ("/admin/groups/{group}/edit", {"admin"}, 403),
    ("/admin/groups/{group}/members", {"admin"}, 403),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url,allowed,refused", GET_MATRIX)
def test_get_matrix(client, auth, school_roster, role, url, allowed, refused):
    auth.login(school_roster["people"][role])
    response = client.get(route(url, school_roster))
    assert response.status_code == (200 if role in allowed else refused)


ADMIN_POSTS = [
    ("/admin/staff/new", {"name": "New Person", "email": "new@brook.example", "roles": ["teacher"],
                          "password": "a long passphrase"}),
    ("/admin/staff/{staff}", {"name": "Renamed", "email": "renamed@brook.example", "roles": ["teacher"]}),
    ("/admin/staff/{staff}/active", {"active": "0", "asked": "yes"}),  # asked on the page first
    ("/admin/staff/{staff}/password", {"password": "a long passphrase"}),
    ("/admin/pupils/new", {"given_name": "Zofia", "family_name": "Nowak"}),
    ("/admin/pupils/{pupil}/edit", {"given_name": "Renamed", "family_name": "Khan"}),
    ("/admin/pupils/{pupil}/archive", {"archived": "1", "asked": "yes"}),
    ("/admin/groups/new", {"name": "Chess club", "kind": "club"}),
    ("/admin/groups/{group}/edit", {"name": "Renamed", "kind": "class"}),
    ("/admin/groups/{group}/members", {"pupils": [], "staff": []}),
]


def snapshot() -> list:
    db.session.expire_all()
    return [
        sorted((s.name, s.email, s.active, s.session_epoch, s.password_hash) for s in db.session.scalars(select(Staff))),
        sorted((p.given_name, p.family_name, p.archived) for p in db.session.scalars(select(Pupil))),
        sorted((g.name, g.kind, len(g.pupils), len(g.staff)) for g in db.session.scalars(select(Group))),
    ]


@pytest.mark.parametrize("role", ["teacher", "support", "pastoral", "dsl"])
@pytest.mark.parametrize("url,data", ADMIN_POSTS)
def test_admin_changes_are_refused_to_other_roles(client, auth, school_roster, role, url, data):
    auth.login(school_roster["people"][role])
    before = snapshot()
    assert client.post(route(url, school_roster), data=data).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("url,data", ADMIN_POSTS)
def test_admin_changes_are_made(client, auth, school_roster, url, data):
    auth.login(school_roster["people"]["admin"])
    before = snapshot()
    response = client.post(route(url, school_roster), data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert snapshot() != before


# What each role sees


def listed_names(page: str) -> set[str]:
    return set(re.findall(r'<a href="/(?:pupils|groups)/\d+">([^<]+)</a>', page))


@pytest.mark.parametrize("role,expected", [
    ("admin", {"Amira Khan", "Oliver Smith"}), ("pastoral", {"Amira Khan", "Oliver Smith"}),
    ("dsl", {"Amira Khan", "Oliver Smith"}), ("teacher", {"Amira Khan"}), ("support", {"Amira Khan"}),
])
def test_pupil_list_shows_only_visible_pupils(client, auth, school_roster, role, expected):
    auth.login(school_roster["people"][role])
    assert listed_names(client.get("/pupils").get_data(as_text=True)) == expected


@pytest.mark.parametrize("role,expected", [
    ("admin", {"Year 5 Cedar", "Year 3 Hazel"}), ("teacher", {"Year 5 Cedar"}), ("support", {"Year 5 Cedar"}),
])
def test_group_list_shows_only_visible_groups(client, auth, school_roster, role, expected):
    auth.login(school_roster["people"][role])
    assert listed_names(client.get("/groups").get_data(as_text=True)) == expected


def test_a_group_shows_its_current_members_and_counts_only_them(client, auth, school_roster):
    """QA: a deactivated member of staff was still named as the class's staff, and the pupil count took in an
    archived pupil the list below it left out. Both stay members (reactivated or restored, they are back)."""
    people, mine = school_roster["people"], school_roster["mine"]
    left = make_pupil(school_roster["school"], "Zed", "Gone")
    mine.pupils.append(left)
    left.archived = True
    people["support"].active = False
    db.session.commit()
    auth.login(people["admin"])
    page = client.get(f"/groups/{mine.id}").get_data(as_text=True)
    assert "The teacher" in page and "The support" not in page
    assert "Pupils (1)" in page and "Amira" in page and "Zed" not in page
    assert "Year 5 Cedar</a>\n    <span class=\"meta\">Class · 1 pupil</span>" in client.get("/groups").get_data(as_text=True)
    assert left in mine.pupils and people["support"] in mine.staff


def test_teacher_heading_says_my_groups(client, auth, school_roster):
    auth.login(school_roster["people"]["teacher"])
    assert "<h1>My groups</h1>" in client.get("/groups").get_data(as_text=True)


def test_search_works_without_javascript_and_as_an_htmx_fragment(client, auth, school_roster):
    auth.login(school_roster["people"]["admin"])
    page = client.get("/pupils?q=oli")
    assert "<h1>Pupils</h1>" in page.get_data(as_text=True)
    assert listed_names(page.get_data(as_text=True)) == {"Oliver Smith"}
    fragment = client.get("/pupils?q=oli", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="pupil-results"') and "<html" not in body
    assert listed_names(body) == {"Oliver Smith"}
    assert "HX-Request" in fragment.headers["Vary"]
    assert 'No pupils match "zz".' in client.get("/pupils?q=zz").get_data(as_text=True)


def test_the_search_address_restored_from_history_is_the_whole_page(client, auth, school_roster):
    """The live search puts its address in the location bar; htmx asking for that address again (Back, with no
    copy kept of the page) is sent the whole page, never the results alone."""
    auth.login(school_roster["people"]["admin"])
    restored = client.get("/pupils?q=oli", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    body = restored.get_data(as_text=True)
    assert "<h1>Pupils</h1>" in body and 'value="oli"' in body
    assert listed_names(body) == {"Oliver Smith"}
    assert "HX-Request" in restored.headers["Vary"]


def test_archived_pupils_are_hidden_unless_an_admin_asks(client, auth, school_roster):
    school_roster["other_pupil"].archived = True
    db.session.commit()
    auth.login(school_roster["people"]["admin"])
    assert listed_names(client.get("/pupils").get_data(as_text=True)) == {"Amira Khan"}
    assert "Oliver Smith" in listed_names(client.get("/pupils?archived=1").get_data(as_text=True))


def test_pastoral_cannot_ask_for_archived_pupils(client, auth, school_roster):
    school_roster["other_pupil"].archived = True
    db.session.commit()
    auth.login(school_roster["people"]["pastoral"])
    assert listed_names(client.get("/pupils?archived=1").get_data(as_text=True)) == {"Amira Khan"}


# Forms: errors beside fields, nothing typed lost


def test_pupil_form_keeps_what_was_typed(client, auth, school_roster):
    auth.login(school_roster["people"]["admin"])
    response = client.post("/admin/pupils/new", data={"given_name": "Zofia", "family_name": "",
                                                      "preferred_name": "Zo", "year_group": "Year 2",
                                                      "external_id": "UPN-77", "peer_mediator": "y"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="family_name-error">Enter the pupil&#39;s family name.<' in page
    for typed in ('value="Zofia"', 'value="Zo"', 'value="Year 2"', 'value="UPN-77"'):
        assert typed in page
    assert re.search(r'id="peer_mediator"[^>]*checked|checked[^>]*id="peer_mediator"', page)
    assert "Please check the highlighted field." in page


def test_duplicate_mis_id_is_explained_beside_the_field(client, auth, school_roster):
    school_roster["mine_pupil"].external_id = "UPN-1"
    db.session.commit()
    auth.login(school_roster["people"]["admin"])
    response = client.post("/admin/pupils/new", data={"given_name": "Zofia", "family_name": "Nowak",
                                                      "external_id": "UPN-1"})
    assert response.status_code == 400
    assert 'id="external_id-error">Another pupil already has that MIS id.<' in response.get_data(as_text=True)


def test_staff_form_keeps_what_was_typed_and_explains_a_taken_email(client, auth, school_roster):
    admin = school_roster["people"]["admin"]
    auth.login(admin)
    response = client.post("/admin/staff/new", data={"name": "Pat Doyle", "email": admin.email,
                                                     "roles": ["support", "pastoral"], "password": "a long passphrase"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="email-error">Someone already signs in with that email.<' in page
    assert 'value="Pat Doyle"' in page
    assert re.search(r'checked[^>]*value="support"|value="support"[^>]*checked', page)
    assert not re.search(r'checked[^>]*value="teacher"|value="teacher"[^>]*checked', page)


def test_staff_form_needs_a_role_and_a_long_password(client, auth, school_roster):
    auth.login(school_roster["people"]["admin"])
    response = client.post("/admin/staff/new", data={"name": "Pat", "email": "not-an-email", "password": "short"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Choose at least one role." in page
    assert "Enter an email address like name@school.org." in page
    assert "Use at least 10 characters." in page
    assert 'value="not-an-email"' in page


def test_admin_adds_staff_who_can_then_sign_in(app, client, auth, school_roster):
    auth.login(school_roster["people"]["admin"])
    response = client.post("/admin/staff/new", data={"name": "Pat Doyle", "email": "Pat@Brook.example",
                                                     "roles": ["support"], "password": "a long passphrase"})
    assert response.headers["Location"] == "/admin/staff"
    assert "Pat Doyle has been added." in client.get("/admin/staff").get_data(as_text=True)
    other = app.test_client()
    assert other.post("/sign-in", data={"email": "pat@brook.example", "password": "a long passphrase"}).status_code == 302


def test_admin_sets_roles(client, auth, school_roster):
    auth.login(school_roster["people"]["admin"])
    teacher = school_roster["other_teacher"]
    client.post(f"/admin/staff/{teacher.id}", data={"name": teacher.name, "email": teacher.email,
                                                    "roles": ["teacher", "pastoral"]})
    db.session.expire_all()
    assert db.session.get(Staff, teacher.id).roles == {"teacher", "pastoral"}


def test_staff_list_names_roles_in_words(client, auth, school_roster):
    auth.login(school_roster["people"]["admin"])
    page = client.get("/admin/staff").get_data(as_text=True)
    assert "Designated Safeguarding Lead" in page and "Support (midday / TA)" in page


def test_admin_cannot_remove_their_own_admin_role(client, auth, school_roster):
    admin = school_roster["people"]["admin"]
    auth.login(admin)
    response = client.post(f"/admin/staff/{admin.id}", data={"name": admin.name, "email": admin.email,
                                                             "roles": ["teacher"]})
    assert response.status_code == 400
    assert "You can&#39;t remove your own admin role" in response.get_data(as_text=True)


def test_admin_cannot_deactivate_themselves(client, auth, school_roster):
    admin = school_roster["people"]["admin"]
    auth.login(admin)
    response = client.post(f"/admin/staff/{admin.id}/active", data={"active": "0", "asked": "yes"},
                           follow_redirects=True)
    assert "You can&#39;t deactivate your own account." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Staff, admin.id).active


def test_an_admins_own_page_offers_no_deactivate_that_would_be_refused(client, auth, school_roster):
    """QA: their own page offered "Deactivate <their name>", asked "They will be signed out at once", and then
    refused. It says who can do it instead; another member of staff's page still offers it."""
    admin = school_roster["people"]["admin"]
    auth.login(admin)
    own = client.get(f"/admin/staff/{admin.id}").get_data(as_text=True)
    assert f"Deactivate {admin.name}" not in own and "/active" not in own
    assert "You can't deactivate your own account: another admin can." in own
    other = school_roster["people"]["teacher"]
    assert f"Deactivate {other.name}" in client.get(f"/admin/staff/{other.id}").get_data(as_text=True)


def test_an_admins_own_page_leads_to_your_account_for_their_password(client, auth, school_roster):
    """QA: Reset password on their own staff page signed the admin out too, with the message "their other
    sessions signed out". Their own page leads to Your account, which keeps them signed in there."""
    admin = school_roster["people"]["admin"]
    auth.login(admin)
    own = client.get(f"/admin/staff/{admin.id}").get_data(as_text=True)
    assert f"/admin/staff/{admin.id}/password" not in own and "Reset password" not in own
    assert 'Change your own password under <a href="/account">Your account</a>' in own
    other = school_roster["people"]["teacher"]
    assert "Reset password" in client.get(f"/admin/staff/{other.id}").get_data(as_text=True)


def test_a_new_member_of_staff_refused_asks_for_the_password_again(client, auth, school_roster):
    """QA: the form came back for the email already in use with the First password empty and nothing said,
    and sending it again was refused a second time ("Set a first password.")."""
    admin = school_roster["people"]["admin"]
    auth.login(admin)
    response = client.post("/admin/staff/new", data={"name": "Mr New", "email": admin.email, "roles": ["teacher"],
                                                     "password": "a long first password"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Someone already signs in with that email." in page
    assert "Type the password again: it is never shown back." in page and "a long first password" not in page
    fresh = client.get("/admin/staff/new").get_data(as_text=True)
    assert "Type the password again" not in fresh


def test_admin_reactivates_staff(client, auth, school_roster):
    teacher = school_roster["other_teacher"]
    teacher.active = False
    db.session.commit()
    auth.login(school_roster["people"]["admin"])
    client.post(f"/admin/staff/{teacher.id}/active", data={"active": "1"})
    db.session.expire_all()
    assert db.session.get(Staff, teacher.id).active


def test_admin_adds_and_edits_a_pupil(client, auth, school_roster):
    auth.login(school_roster["people"]["admin"])
    response = client.post("/admin/pupils/new", data={"given_name": " Zofia ", "family_name": "Nowak",
                                                      "preferred_name": "", "year_group": "Year 2"})
    pupil = db.session.scalar(select(Pupil).where(Pupil.given_name == "Zofia"))
    assert response.headers["Location"] == f"/pupils/{pupil.id}"
    assert pupil.preferred_name is None and pupil.external_id is None and pupil.archived is False
    client.post(f"/admin/pupils/{pupil.id}/edit", data={"given_name": "Zofia", "family_name": "Nowak",
                                                        "preferred_name": "Zo", "peer_mediator": "y"})
    page = client.get(f"/pupils/{pupil.id}").get_data(as_text=True)
    assert "<h1>Zo Nowak" in page and "<dt>Peer mediator</dt><dd>Yes</dd>" in page


def test_admin_archives_and_restores_a_pupil(client, auth, school_roster):
    pupil = school_roster["mine_pupil"]
    auth.login(school_roster["people"]["admin"])
    client.post(f"/admin/pupils/{pupil.id}/archive", data={"archived": "1", "asked": "yes"})
    assert "archived</span>" in client.get(f"/pupils/{pupil.id}").get_data(as_text=True)
    client.post(f"/admin/pupils/{pupil.id}/archive", data={"archived": "0"})
    db.session.expire_all()
    assert db.session.get(Pupil, pupil.id).archived is False


def test_admin_adds_a_group_and_chooses_members(client, auth, school_roster):
    auth.login(school_roster["people"]["admin"])
    response = client.post("/admin/groups/new", data={"name": "Chess club", "kind": "club"})
    group = db.session.scalar(select(Group).where(Group.name == "Chess club"))
    assert response.headers["Location"] == f"/admin/groups/{group.id}/members"
    members = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Pupils: Year 5" in members and "Amira Khan" in members
    client.post(f"/admin/groups/{group.id}/members", data={
        "pupils": [school_roster["mine_pupil"].id, school_roster["other_pupil"].id],
        "staff": [school_roster["other_teacher"].id]})
    page = client.get(f"/groups/{group.id}").get_data(as_text=True)
    assert "Pupils (2)" in page and "Other Teacher" in page


def test_members_page_ticks_current_members(client, auth, school_roster):
    auth.login(school_roster["people"]["admin"])
    page = client.get(f"/admin/groups/{school_roster['mine'].id}/members").get_data(as_text=True)
    ticked = re.findall(r'<input checked id="[^"]+" name="pupils" type="checkbox" value="(\d+)"', page)
    assert ticked == [str(school_roster["mine_pupil"].id)]


def test_group_form_errors_beside_the_field(client, auth, school_roster):
    auth.login(school_roster["people"]["admin"])
    response = client.post("/admin/groups/new", data={"name": "", "kind": "club", "external_id": "G1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="name-error">Enter a name for the group.<' in page and 'value="G1"' in page


# Domain rules (no HTTP)


def test_visible_pupils_and_groups(school_roster):
    people = school_roster["people"]
    for role in WHOLE_SCHOOL:
        assert len(db.session.scalars(visible_pupils(people[role])).all()) == 2
        assert len(db.session.scalars(visible_groups(people[role])).all()) == 2
    for role in ("teacher", "support"):
        assert db.session.scalars(visible_pupils(people[role])).all() == [school_roster["mine_pupil"]]
        assert db.session.scalars(visible_groups(people[role])).all() == [school_roster["mine"]]
    assert db.session.scalars(visible_pupils(school_roster["other_teacher"])).all() == [school_roster["other_pupil"]]


def test_search_matches_the_start_of_any_name(school_roster):
    everyone = visible_pupils(school_roster["people"]["admin"])
    assert [p.given_name for p in search_pupils(everyone, "kh")] == ["Amira"]
    assert [p.given_name for p in search_pupils(everyone, "amira khan")] == ["Amira"]
    assert search_pupils(everyone, "mira") == []
    assert len(search_pupils(everyone, "")) == 2


def test_emails_are_unique_across_schools(school_roster):
    other_school = make_school("Hill Academy")
    with pytest.raises(RosterError) as taken:
        add_staff(other_school, school_roster["people"]["admin"].email.upper(), "Copy", ["teacher"], PASSWORD)
    assert taken.value.field == "email"


def test_update_staff_rules(school_roster):
    admin, teacher = school_roster["people"]["admin"], school_roster["other_teacher"]
    with pytest.raises(RosterError):
        update_staff(teacher, admin, "T", admin.email, ["teacher"])
    with pytest.raises(RosterError):
        update_staff(admin, admin, "A", admin.email, ["teacher"])
    update_staff(teacher, admin, " Tess ", "TESS@brook.example", ["teacher", "nonsense"])
    assert (teacher.name, teacher.email, teacher.roles) == ("Tess", "tess@brook.example", {"teacher"})


def test_deactivating_bumps_the_session_epoch(school_roster):
    admin, teacher = school_roster["people"]["admin"], school_roster["other_teacher"]
    epoch = teacher.session_epoch
    set_staff_active(teacher, admin, False)
    assert teacher.active is False and teacher.session_epoch == epoch + 1
    with pytest.raises(RosterError):
        set_staff_active(admin, admin, False)


def test_mis_ids_are_unique_within_a_school_only(school_roster):
    school = school_roster["school"]
    save_pupil(school_roster["mine_pupil"], "Amira", "Khan", external_id="UPN-1")
    save_pupil(school_roster["mine_pupil"], "Amira", "Khan", external_id="UPN-1")
    with pytest.raises(RosterError):
        save_pupil(Pupil(school_id=school.id), "Zofia", "Nowak", external_id="UPN-1")
    other = make_school("Hill Academy")
    save_pupil(Pupil(school_id=other.id), "Zofia", "Nowak", external_id="UPN-1")
    save_group(school_roster["mine"], "Year 5 Cedar", "class", "G-1")
    with pytest.raises(RosterError):
        save_group(Group(school_id=school.id), "Copy", "class", "G-1")


def test_set_group_members_ignores_other_schools(school_roster):
    other = make_school("Hill Academy")
    stranger, outsider = make_pupil(other, "Kofi", "Mensah"), make_staff(other, ("teacher",))
    group = school_roster["mine"]
    set_group_members(group, [school_roster["other_pupil"].id, stranger.id], [outsider.id])
    assert group.pupils == [school_roster["other_pupil"]] and group.staff == []


def test_short_names_tell_apart_pupils_who_would_look_the_same(app):
    """At the check-in station and on a circle's join list a pupil taps their own name: two children
    must never both be "Maya C."."""
    from rrp_pwa.models import short_names

    school = make_school()
    chen, clarke = make_pupil(school, "Maya", "Chen"), make_pupil(school, "Maya", "Clarke")
    li, lim = make_pupil(school, "Sam", "Li"), make_pupil(school, "Sam", "Lim")
    dylan_a = make_pupil(school, "Dylan", "Taylor", year_group="Year 4")
    dylan_b = make_pupil(school, "Dylan", "Taylor", year_group="Year 5")
    twin_a, twin_b = make_pupil(school, "Jo", "Reed"), make_pupil(school, "Jo", "Reed")
    ben = make_pupil(school, "Ben", "Okafor")
    names = short_names([chen, clarke, li, lim, dylan_a, dylan_b, twin_a, twin_b, ben])
    assert [names[p.id] for p in (chen, clarke, li, lim, dylan_a, dylan_b, twin_a, twin_b, ben)] == [
        "Maya Ch.", "Maya Cl.", "Sam Li", "Sam Lim", "Dylan Taylor (Year 4)", "Dylan Taylor (Year 5)",
        "Jo Reed (#1)", "Jo Reed (#2)", "Ben O."]
    assert len(set(names.values())) == len(names)
    # a year group typed as a bare number never makes two the same, and the order of the list never matters
    jo_a, jo_b, jo_c = (make_pupil(school, "Jo", "Hill", year_group=year) for year in ("2", None, "2"))
    hills = short_names([jo_c, jo_b, jo_a])
    assert [hills[p.id] for p in (jo_a, jo_b, jo_c)] == ["Jo Hill (#1)", "Jo Hill (#2)", "Jo Hill (#3)"]


# An archived class gives its staff nothing

def test_the_teacher_of_an_archived_class_no_longer_sees_its_pupils(client, auth, school_roster):
    school_roster["mine"].archived = True  # the MIS dropped the class; the import archived it
    db.session.commit()
    auth.login(school_roster["people"]["teacher"])
    assert listed_names(client.get("/pupils").get_data(as_text=True)) == set()
    assert client.get(f"/pupils/{school_roster['mine_pupil'].id}").status_code == 404
    assert client.get(f"/groups/{school_roster['mine'].id}").status_code == 404


def test_an_archived_class_gives_no_access_to_its_pupils_records(school_roster):
    teacher, pupil = school_roster["people"]["teacher"], school_roster["mine_pupil"]
    record_quick_chat(school_roster["school"].id, school_roster["people"]["support"], [pupil], "Physical", "Field")
    school_roster["mine"].archived = True
    db.session.commit()
    assert not teaches(teacher, [pupil.id]) and taught_by(teacher) == set()
    assert not reads_everything_about(teacher, pupil)
    assert db.session.scalars(lunchtime_chats(teacher, datetime.now(ZoneInfo("Europe/London")).date())).all() == []
    assert db.session.scalars(visible_pupils(school_roster["people"]["support"])).all() == []
    assert reads_everything_about(school_roster["people"]["pastoral"], pupil)  # the whole school still sees them


def test_saving_members_keeps_deactivated_staff_and_archived_pupils(client, auth, school_roster):
    """The form offers only active staff and pupils on roll: those it can't offer stay members, so a
    teacher back from leave still has their class."""
    group, teacher = school_roster["mine"], school_roster["people"]["teacher"]
    teacher.active = False  # on leave
    left = make_pupil(school_roster["school"], "Lily", "Left", archived=True)
    group.pupils.append(left)
    db.session.commit()
    auth.login(school_roster["people"]["admin"])
    page = client.get(f"/admin/groups/{group.id}/members").get_data(as_text=True)
    assert "Also in Year 5 Cedar, kept as they are" in page
    assert "The teacher (deactivated)" in page and "Lily Left (archived)" in page
    response = client.post(f"/admin/groups/{group.id}/members", data={
        "pupils": [school_roster["other_pupil"].id], "staff": [school_roster["other_teacher"].id]})
    assert response.status_code == 302
    db.session.expire_all()
    group = db.session.get(Group, group.id)
    assert [p.display_name for p in group.pupils] == ["Lily Left", "Oliver Smith"]
    assert [s.name for s in group.staff] == ["Other Teacher", "The teacher"]


# Staff the roster import added: no password until an admin sets the first one


@pytest.fixture
def imported_teacher(school_roster):
    """A teacher as the roster import adds them: deactivated, with no password."""
    member = make_staff(school_roster["school"], ("teacher",), email="new.teacher@brook.example", name="Priya Shah")
    member.active, member.password_hash = False, NO_PASSWORD
    db.session.commit()
    return member


def test_an_imported_account_lets_nobody_in_until_its_first_password(school_roster, imported_teacher):
    assert not imported_teacher.has_password and not imported_teacher.check_password("")
    with pytest.raises(RosterError, match="Priya Shah has no password yet"):
        set_staff_active(imported_teacher, school_roster["people"]["admin"], True)
    assert not imported_teacher.active
    give_first_password(imported_teacher, "a first passphrase")
    assert imported_teacher.active and imported_teacher.has_password
    assert imported_teacher.check_password("a first passphrase")
    with pytest.raises(RosterError, match="already has a password"):
        give_first_password(imported_teacher, "another passphrase")


@pytest.mark.parametrize("has_password", [False, True])
def test_nobody_the_mis_says_has_left_is_let_in_by_an_admin(school_roster, imported_teacher, has_password):
    """Neither a first password nor a reactivation lets in someone the MIS says has left."""
    if has_password:
        imported_teacher.set_password("an old passphrase")
    imported_teacher.mis_left = True
    admin = school_roster["people"]["admin"]
    with pytest.raises(RosterError, match="Priya Shah has left the school, as your MIS roster says"):
        give_first_password(imported_teacher, "a first passphrase")
    with pytest.raises(RosterError, match="once a roster import from your MIS lists them again"):
        set_staff_active(imported_teacher, admin, True)
    assert not imported_teacher.active and imported_teacher.has_password == has_password


def test_staff_list_says_who_has_no_password_yet(client, auth, school_roster, imported_teacher):
    school_roster["other_teacher"].active = False
    db.session.commit()
    auth.login(school_roster["people"]["admin"])
    page = client.get("/admin/staff").get_data(as_text=True)
    assert re.search(r"new.teacher@brook.example · Teacher · no password yet: can't sign in", page)
    assert re.search(r"Other Teacher</a>\s*<span class=\"meta\">[^<]*· deactivated</span>", page)


def test_admin_sets_the_first_password_and_the_teacher_signs_in(app, client, auth, school_roster,
                                                               imported_teacher):
    auth.login(school_roster["people"]["admin"])
    page = client.get(f"/admin/staff/{imported_teacher.id}").get_data(as_text=True)
    assert "Let Priya Shah sign in" in page and "has no password yet" in page
    assert "Reset password" not in page and "sign in again" not in page
    short = client.post(f"/admin/staff/{imported_teacher.id}/first-password", data={"password": "short"})
    assert short.status_code == 400 and "Use at least 10 characters." in short.get_data(as_text=True)
    response = client.post(f"/admin/staff/{imported_teacher.id}/first-password",
                           data={"password": "a first passphrase"}, follow_redirects=True)
    assert "Priya Shah can now sign in with the password you set." in response.get_data(as_text=True)
    other = app.test_client()
    assert other.post("/sign-in", data={"email": "new.teacher@brook.example",
                                        "password": "a first passphrase"}).status_code == 302


def test_reactivating_an_account_with_no_password_is_refused_with_what_to_do(client, auth, school_roster,
                                                                             imported_teacher):
    auth.login(school_roster["people"]["admin"])
    response = client.post(f"/admin/staff/{imported_teacher.id}/active", data={"active": "1"}, follow_redirects=True)
    assert "Priya Shah has no password yet. Set a first password to let them sign in." in response.get_data(as_text=True)
    db.session.expire_all()
    assert not db.session.get(Staff, imported_teacher.id).active


@pytest.mark.parametrize("role", ["teacher", "support", "pastoral", "dsl"])
def test_only_admins_set_a_first_password(client, auth, school_roster, imported_teacher, role):
    auth.login(school_roster["people"][role])
    assert client.post(f"/admin/staff/{imported_teacher.id}/first-password",
                       data={"password": "a first passphrase"}).status_code == 403
    db.session.expire_all()
    assert not db.session.get(Staff, imported_teacher.id).has_password


def test_first_password_of_another_schools_staff_is_a_404(client, auth, school_roster):
    other = make_staff(make_school("Elm Academy"), ("teacher",), email="t@elm.example")
    other.active, other.password_hash = False, NO_PASSWORD
    db.session.commit()
    auth.login(school_roster["people"]["admin"])
    assert client.post(f"/admin/staff/{other.id}/first-password",
                       data={"password": "a first passphrase"}).status_code == 404


def test_a_refused_password_reset_keeps_the_audit_trail_on_the_page(client, auth, school_roster):
    teacher = school_roster["other_teacher"]
    auth.login(school_roster["people"]["admin"])
    client.post(f"/admin/staff/{teacher.id}", data={"name": teacher.name, "email": teacher.email,
                                                    "roles": ["teacher", "dsl"]})
    response = client.post(f"/admin/staff/{teacher.id}/password", data={"password": "short"})
    assert response.status_code == 400
    assert "Who has opened or changed this" in response.get_data(as_text=True)


@pytest.mark.parametrize("how, said", [("first-password", "First password set by The admin"),
                                       ("password", "Password reset by The admin")])
def test_who_set_a_staff_members_password_is_in_their_audit_trail(client, auth, school_roster, imported_teacher,
                                                                   how, said):
    """Whoever sets someone's password can sign in as them (a DSL's: every concern), so the staff page says
    who did it and when, as it does for roles."""
    member = imported_teacher if how == "first-password" else school_roster["people"]["dsl"]
    auth.login(school_roster["people"]["admin"])
    assert client.post(f"/admin/staff/{member.id}/{how}", data={"password": "a passphrase set"}).status_code == 302
    page = client.get(f"/admin/staff/{member.id}").get_data(as_text=True)
    assert "Who has opened or changed this" in page and said in page
    assert "a passphrase set" not in page


def test_who_deactivated_and_reactivated_a_member_of_staff_is_in_their_audit_trail(client, auth, school_roster):
    """Before, roles and passwords were in the trail but not deactivating someone (a DSL cut off from
    concerns) or letting them back in: the staff page now says who did each, and when."""
    teacher = school_roster["other_teacher"]
    auth.login(school_roster["people"]["admin"])
    assert client.post(f"/admin/staff/{teacher.id}/active", data={"active": "0", "asked": "yes"}).status_code == 302
    page = client.get(f"/admin/staff/{teacher.id}").get_data(as_text=True)
    assert "Who has opened or changed this" in page and "Deactivated by The admin" in page
    assert client.post(f"/admin/staff/{teacher.id}/active", data={"active": "1"}).status_code == 302
    page = client.get(f"/admin/staff/{teacher.id}").get_data(as_text=True)
    assert page.index("Reactivated by The admin") < page.index("Deactivated by The admin")  # newest first
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.subject_id == teacher.id)
                                .order_by(AuditEvent.id)).all()
    assert [(e.action, e.staff_id, e.subject_kind) for e in events] == [
        ("deactivated", school_roster["people"]["admin"].id, "staff"),
        ("activated", school_roster["people"]["admin"].id, "staff")]


def test_a_refused_or_empty_change_of_activation_is_not_in_the_audit_trail(client, auth, school_roster,
                                                                            imported_teacher):
    admin = school_roster["people"]["admin"]
    auth.login(admin)
    client.post(f"/admin/staff/{admin.id}/active", data={"active": "0", "asked": "yes"})  # not themselves
    client.post(f"/admin/staff/{imported_teacher.id}/active", data={"active": "1"})  # no password yet
    client.post(f"/admin/staff/{school_roster['other_teacher'].id}/active", data={"active": "1"})  # already active
    assert db.session.scalars(select(AuditEvent)).all() == []


# Taking a role away: asked first, as it takes effect at once


def test_taking_a_role_away_asks_first_and_saves_nothing_until_confirmed(client, auth, school_roster):
    dsl = school_roster["people"]["dsl"]
    auth.login(school_roster["people"]["admin"])
    sent = {"name": "Renamed Dsl", "email": dsl.email, "roles": ["teacher"]}
    asked = client.post(f"/admin/staff/{dsl.id}", data=sent)
    page = " ".join(asked.get_data(as_text=True).split())
    assert asked.status_code == 200
    assert ("Nothing has been saved yet. Take the Designated Safeguarding Lead role away from The dsl? It takes "
            "effect at once: they will no longer see safeguarding concerns.") in page
    assert 'value="Renamed Dsl"' in page and 'name="removal_confirmed" type="hidden" value="1"' in page
    assert "Yes, take the role away and save" in page
    db.session.expire_all()
    assert db.session.get(Staff, dsl.id).roles == {"dsl"} and db.session.get(Staff, dsl.id).name == "The dsl"
    done = client.post(f"/admin/staff/{dsl.id}", data={**sent, "removal_confirmed": "1"})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Staff, dsl.id).roles == {"teacher"}


def test_adding_a_role_or_refusing_ones_own_admin_role_asks_nothing(client, auth, school_roster):
    admin, teacher = school_roster["people"]["admin"], school_roster["other_teacher"]
    auth.login(admin)
    added = client.post(f"/admin/staff/{teacher.id}", data={"name": teacher.name, "email": teacher.email,
                                                            "roles": ["teacher", "pastoral"]})
    assert added.status_code == 302
    own = client.post(f"/admin/staff/{admin.id}", data={"name": admin.name, "email": admin.email, "roles": ["teacher"]})
    assert own.status_code == 400 and "Nothing has been saved yet" not in own.get_data(as_text=True)


def test_roles_taken_away(school_roster):
    admin, dsl = school_roster["people"]["admin"], school_roster["people"]["dsl"]
    assert roles_taken_away(dsl, admin, ["teacher"]) == ["dsl"]
    assert roles_taken_away(dsl, admin, ["dsl", "teacher"]) == []
    assert roles_taken_away(admin, admin, ["teacher"]) == []  # refused anyway by update_staff
