"""Staff sign-in: credentials, throttling, safe return paths, sessions, timeouts and CSRF."""
import re
import time
from datetime import datetime, timedelta, timezone

import pytest
from flask import session
from sqlalchemy import func, select

from rrp_pwa.auth.signin import (
    SignInLimits,
    SignInRefused,
    SignInThrottled,
    authenticate,
    is_local_path,
    load_staff,
)
from rrp_pwa.config import Config
from rrp_pwa.extensions import db
from rrp_pwa.models import EndedSignIn, Staff
from rrp_pwa.roster.directory import add_staff
from rrp_pwa.throttle import MemoryThrottle
from tests.conftest import PASSWORD, make_school, make_staff


def sign_in(client, email, password=PASSWORD, next_url=None, **kw):
    url = "/sign-in" + (f"?next={next_url}" if next_url is not None else "")
    return client.post(url, data={"email": email, "password": password}, **kw)


@pytest.fixture
def teacher(app):
    staff = make_staff(make_school(), ("teacher",), email="sam@brook.example")
    db.session.commit()
    return staff


def signed_in(client) -> bool:
    response = client.get("/")
    return response.status_code == 200


# Signing in


def test_sign_in_page_has_labelled_fields(client):
    page = client.get("/sign-in").get_data(as_text=True)
    assert '<label for="email">Email</label>' in page
    assert 'autocomplete="current-password"' in page


def test_teacher_signs_in_and_reaches_home(client, teacher):
    response = sign_in(client, "Sam@Brook.example ")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Hello, Sam Teacher" in client.get("/").get_data(as_text=True)


def test_wrong_password_is_refused_and_keeps_the_email(client, teacher):
    response = sign_in(client, teacher.email, "not the password")
    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "That email and password don&#39;t match an active account" in page
    assert f'value="{teacher.email}"' in page
    assert not signed_in(client)


def test_empty_fields_are_explained_beside_each_field(client, app):
    response = client.post("/sign-in", data={"email": "", "password": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'id="email-error">Enter your school email.<', page)
    assert re.search(r'id="password-error">Enter your password.<', page)
    assert 'aria-describedby="email-error"' in page


def test_inactive_account_cannot_sign_in(client, teacher):
    teacher.active = False
    db.session.commit()
    assert sign_in(client, teacher.email).status_code == 401
    assert not signed_in(client)


def test_signed_in_visitor_to_sign_in_goes_home(client, auth):
    auth.login()
    response = client.get("/sign-in")
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_passwords_are_stored_as_scrypt_hashes(app):
    staff = add_staff(make_school(), "pat@brook.example", "Pat", ["support"], PASSWORD)
    assert staff.password_hash.startswith("scrypt:32768:8:1$")
    assert PASSWORD not in staff.password_hash


# Safe next


@pytest.mark.parametrize("target,expected", [
    ("/pupils?q=amira", "/pupils?q=amira"),
    ("/groups", "/groups"),
    ("//evil.example/", "/"),
    ("https://evil.example/", "/"),
    ("http:evil.example", "/"),
    ("/\\evil.example", "/"),
    ("\\\\evil.example", "/"),
    ("/%09/evil.example", "/"),
    ("javascript:alert(1)", "/"),
    ("evil.example", "/"),
    ("", "/"),
])
def test_next_only_goes_to_a_path_on_this_site(client, teacher, target, expected):
    response = sign_in(client, teacher.email, next_url=target)
    assert response.status_code == 302
    assert response.headers["Location"] == expected


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\n/evil.example", "/ /evil.example", "/a\\b"])
def test_is_local_path_refuses_characters_browsers_rewrite(target):
    assert not is_local_path(target)


def test_anonymous_visitor_returns_to_the_page_they_wanted(client, teacher):
    first = client.get("/pupils?q=am")
    assert first.status_code == 302
    assert first.headers["Location"] == "/sign-in?next=/pupils?q%3Dam"
    response = sign_in(client, teacher.email, next_url="/pupils?q%3Dam")
    assert response.headers["Location"] == "/pupils?q=am"


# Sessions


def test_sign_in_starts_a_fresh_session(client, teacher):
    with client.session_transaction() as planted:
        planted["planted"] = "by someone else"
    sign_in(client, teacher.email)
    with client.session_transaction() as current:
        assert "planted" not in current
        assert current["_user_id"] == f"{teacher.id}.{teacher.session_epoch}"


def test_session_cookie_is_http_only_and_same_site_lax(client, teacher):
    response = sign_in(client, teacher.email)
    cookie = response.headers["Set-Cookie"]
    assert "rrp_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_sign_out_ends_the_session(client, auth):
    auth.login()
    response = client.post("/sign-out")
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    assert not signed_in(client)
    assert "You have signed out." in client.get("/sign-in").get_data(as_text=True)


def session_cookie(client) -> str:
    return client.get_cookie("rrp_session", domain="rrp.test").value


def test_an_answer_to_a_request_sent_before_signing_out_does_not_sign_them_back_in(client, auth):
    """The shared tablet's slow search answers after the sign-out and sets the old cookie again."""
    auth.login()
    set_last_seen(client, 2 * 60)  # so the search refreshes the cookie's last-seen time
    in_flight = client.get("/pupils?q=am")
    assert "rrp_session=" in in_flight.headers.get("Set-Cookie", "")
    old_cookie = session_cookie(client)
    client.post("/sign-out")
    assert not signed_in(client)
    client.set_cookie("rrp_session", old_cookie, domain="rrp.test")
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")
    assert not signed_in(client)


def test_signing_out_again_with_the_put_back_cookie_just_signs_out(client, auth):
    teacher = auth.login()
    old_cookie = session_cookie(client)
    client.post("/sign-out")
    client.set_cookie("rrp_session", old_cookie, domain="rrp.test")
    response = client.post("/sign-out")
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    assert db.session.scalar(select(func.count(EndedSignIn.id))) == 1
    client.set_cookie("rrp_session", old_cookie, domain="rrp.test")
    auth.login(teacher)  # the sign-in page ends a sign-in that has already ended without fuss
    assert signed_in(client)


def test_two_sign_outs_at_the_same_moment_both_just_sign_out(client, auth, monkeypatch):
    """The other tap recorded the sign-in as ended between this one's check and its write."""
    auth.login()
    with client.session_transaction() as session:
        db.session.add(EndedSignIn(sid=session["sid"]))
    db.session.commit()
    monkeypatch.setattr("rrp_pwa.auth.sign_ins.sign_in_is_live", lambda: True)
    response = client.post("/sign-out")
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    monkeypatch.undo()
    assert not signed_in(client)


def test_after_signing_out_the_same_person_signs_in_again(client, auth):
    teacher = auth.login()
    client.post("/sign-out")
    auth.login(teacher)
    assert signed_in(client)


def test_ended_sign_ins_are_forgotten_once_no_cookie_could_outlive_the_idle_timeout(app, client, auth):
    longest = max(app.config["IDLE_TIMEOUT_MINUTES"], app.config["MEDIATOR_HELP_IDLE_MINUTES"])  # Get an adult's
    long_ago = datetime.now(timezone.utc) - timedelta(minutes=longest + 6)
    db.session.add(EndedSignIn(sid="from-last-term", ended_at=long_ago))
    db.session.add(EndedSignIn(sid="from-a-minute-ago", ended_at=datetime.now(timezone.utc) - timedelta(minutes=1)))
    db.session.commit()
    auth.login()
    client.post("/sign-out")
    kept = set(db.session.scalars(select(EndedSignIn.sid)))
    assert "from-last-term" not in kept and "from-a-minute-ago" in kept and len(kept) == 2  # and this one


def test_a_page_within_a_minute_of_the_last_does_not_send_the_cookie_again(client, auth):
    """So its answer cannot overwrite a newer cookie - one holding the flash a form just left."""
    auth.login()
    client.get("/pupils")  # the first page with a form puts its CSRF token in the session
    assert "Set-Cookie" not in client.get("/pupils").headers
    set_last_seen(client, 61)
    assert "rrp_session=" in client.get("/pupils").headers["Set-Cookie"]
    assert "Set-Cookie" not in client.get("/pupils").headers


def test_idle_timeout_defaults_to_30_minutes():
    assert Config.IDLE_TIMEOUT_MINUTES == 30


def set_last_seen(client, seconds_ago: int) -> None:
    with client.session_transaction() as sess:
        sess["seen"] = int(time.time()) - seconds_ago


def test_idle_for_29_minutes_stays_signed_in(client, auth):
    auth.login()
    set_last_seen(client, 29 * 60)
    assert signed_in(client)


def test_idle_for_31_minutes_is_signed_out(client, auth):
    auth.login()
    set_last_seen(client, 31 * 60)
    response = client.get("/pupils")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=/pupils")
    assert "signed out after 30 minutes without activity" in client.get("/sign-in").get_data(as_text=True)
    assert not signed_in(client)


def test_idle_htmx_request_gets_401_that_leads_back_to_sign_in(client, auth):
    auth.login()
    set_last_seen(client, 31 * 60)
    response = client.get("/pupils?q=a", headers={"HX-Request": "true",
                                                   "HX-Current-URL": "http://rrp.test/pupils?q=am"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/sign-in?next=/pupils?q%3Dam"


def test_htmx_401_never_redirects_off_site(client):
    response = client.get("/pupils?q=a", headers={"HX-Request": "true", "HX-Current-URL": "http://rrp.test//evil"})
    assert response.status_code == 401 and response.headers["HX-Redirect"] == "/sign-in"


@pytest.mark.app_config(IDLE_TIMEOUT_MINUTES=1)
def test_a_one_minute_idle_limit_says_one_minute(client, auth):
    """The sign-in page said "after 1 minutes without activity"."""
    auth.login()
    set_last_seen(client, 2 * 60)
    assert not signed_in(client)
    page = client.get("/sign-in").get_data(as_text=True)
    assert "You were signed out after 1 minute without activity." in page


@pytest.mark.app_config(IDLE_TIMEOUT_MINUTES=5)
def test_idle_timeout_is_configurable(client, auth):
    auth.login()
    set_last_seen(client, 4 * 60)
    assert signed_in(client)
    set_last_seen(client, 6 * 60)
    assert not signed_in(client)


def test_sign_out_everywhere_ends_other_devices(app, teacher):
    phone, tablet = app.test_client(), app.test_client()
    sign_in(phone, teacher.email)
    sign_in(tablet, teacher.email)
    response = phone.post("/account")
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    assert not signed_in(phone)
    assert not signed_in(tablet)
    assert sign_in(tablet, teacher.email).status_code == 302
    assert signed_in(tablet)


def test_deactivating_signs_the_person_out(app, client, auth, teacher):
    teacher_device = app.test_client()
    sign_in(teacher_device, teacher.email)
    assert signed_in(teacher_device)
    auth.login(roles=("admin",), school=teacher.school)
    response = client.post(f"/admin/staff/{teacher.id}/active", data={"active": "0", "asked": "yes"})
    assert response.status_code == 302
    assert not signed_in(teacher_device)
    assert sign_in(teacher_device, teacher.email).status_code == 401


def test_password_reset_signs_out_and_sets_the_new_password(app, client, auth, teacher):
    teacher_device = app.test_client()
    sign_in(teacher_device, teacher.email)
    auth.login(roles=("admin",), school=teacher.school)
    response = client.post(f"/admin/staff/{teacher.id}/password", data={"password": "a new long passphrase"})
    assert response.status_code == 302
    assert not signed_in(teacher_device)
    assert sign_in(teacher_device, teacher.email).status_code == 401
    assert sign_in(teacher_device, teacher.email, "a new long passphrase").status_code == 302


def test_short_reset_password_is_explained_beside_the_field(client, auth, teacher):
    auth.login(roles=("admin",), school=teacher.school)
    response = client.post(f"/admin/staff/{teacher.id}/password", data={"password": "short"})
    assert response.status_code == 400
    assert 'id="password-error">Use at least 10 characters.<' in response.get_data(as_text=True)


def test_loader_ignores_an_old_epoch_and_an_ended_sign_in(app, teacher):
    with app.test_request_context():
        session["sid"] = "one-sign-in"
        assert load_staff(f"{teacher.id}.{teacher.session_epoch}") == teacher
        assert load_staff(f"{teacher.id}.{teacher.session_epoch + 1}") is None
        assert load_staff("nonsense") is None
        db.session.add(EndedSignIn(sid="one-sign-in"))
        db.session.commit()
        assert load_staff(f"{teacher.id}.{teacher.session_epoch}") is None
        del session["sid"]  # a session from before sign-ins had ids
        assert load_staff(f"{teacher.id}.{teacher.session_epoch}") is None


# Throttling


@pytest.mark.app_config(LOGIN_ACCOUNT_LIMIT=3)
def test_account_is_locked_after_failures_but_colleagues_on_the_same_network_sign_in(client, app, teacher):
    colleague = make_staff(teacher.school, ("support",), email="jo@brook.example")
    db.session.commit()
    for _ in range(3):
        assert sign_in(client, teacher.email, "guess").status_code == 401
    locked = sign_in(client, teacher.email)
    assert locked.status_code == 429
    assert "Too many sign-in attempts for this account. Please wait 15 minutes" in locked.get_data(as_text=True)
    assert sign_in(app.test_client(), colleague.email).status_code == 302


@pytest.mark.app_config(LOGIN_ACCOUNT_LIMIT=2, LOGIN_WINDOW_SECONDS=60)
def test_a_one_minute_lock_says_one_minute(client, teacher):
    for _ in range(2):
        sign_in(client, teacher.email, "guess")
    locked = sign_in(client, teacher.email).get_data(as_text=True)
    assert "Please wait 1 minute, or ask your school&#39;s admin" in locked


@pytest.mark.app_config(LOGIN_ACCOUNT_LIMIT=2)
def test_a_password_reset_lifts_the_accounts_pause(app, client, auth, teacher):
    device = app.test_client()
    for _ in range(2):
        sign_in(device, teacher.email, "guess")
    assert sign_in(device, teacher.email).status_code == 429
    auth.login(roles=("admin",), school=teacher.school)
    client.post(f"/admin/staff/{teacher.id}/password", data={"password": "a new long passphrase"})
    assert sign_in(device, teacher.email, "a new long passphrase").status_code == 302


@pytest.mark.app_config(LOGIN_ACCOUNT_LIMIT=100, LOGIN_IP_LIMIT=4)
def test_network_is_throttled_after_many_failures_across_accounts(client, app, teacher):
    for n in range(4):
        assert sign_in(client, f"nobody{n}@brook.example", "guess").status_code == 401
    throttled = sign_in(client, teacher.email)
    assert throttled.status_code == 429
    assert "Too many sign-in attempts from this network" in throttled.get_data(as_text=True)
    elsewhere = sign_in(app.test_client(), teacher.email, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert elsewhere.status_code == 302


@pytest.mark.app_config(LOGIN_ACCOUNT_LIMIT=100, LOGIN_IP_LIMIT=2, TRUSTED_PROXIES=1)
def test_behind_a_trusted_proxy_each_school_network_is_counted_apart(client, teacher):
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for _ in range(2):
        sign_in(client, "nobody@brook.example", "guess", headers={"X-Forwarded-For": "198.51.100.1"}, environ_base=proxy)
    assert sign_in(client, teacher.email, headers={"X-Forwarded-For": "198.51.100.1"}, environ_base=proxy).status_code == 429
    assert sign_in(client, teacher.email, headers={"X-Forwarded-For": "203.0.113.9"}, environ_base=proxy).status_code == 302


@pytest.mark.app_config(LOGIN_ACCOUNT_LIMIT=100, LOGIN_IP_LIMIT=2)
def test_without_trusted_proxies_forwarded_for_is_ignored(client, teacher):
    for n in range(2):
        sign_in(client, "nobody@brook.example", "guess", headers={"X-Forwarded-For": f"198.51.100.{n}"})
    assert sign_in(client, teacher.email, headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 429


@pytest.mark.app_config(LOGIN_ACCOUNT_LIMIT=3)
def test_a_successful_sign_in_clears_the_account_count(client, teacher):
    for _ in range(2):
        sign_in(client, teacher.email, "guess")
    assert sign_in(client, teacher.email).status_code == 302
    client.post("/sign-out")
    for _ in range(2):
        sign_in(client, teacher.email, "guess")
    assert sign_in(client, teacher.email).status_code == 302


def test_authenticate_rules(teacher):
    throttle, limits = MemoryThrottle(), SignInLimits(per_account=2, per_ip=10, window_seconds=600)
    assert authenticate(teacher.email, PASSWORD, "10.0.0.1", throttle, limits) == teacher
    for _ in range(2):
        with pytest.raises(SignInRefused):
            authenticate(teacher.email, "guess", "10.0.0.1", throttle, limits)
    with pytest.raises(SignInThrottled) as locked:
        authenticate(teacher.email, PASSWORD, "10.0.0.2", throttle, limits)
    assert locked.value.scope == "account" and locked.value.minutes == 10


def test_memory_throttle_window_resets():
    throttle = MemoryThrottle()
    assert throttle.hit("k", 0) == 1
    assert throttle.hit("k", 0) == 1
    assert throttle.hit("j", 60) == 1 and throttle.hit("j", 60) == 2
    assert throttle.count("j", 60) == 2
    throttle.reset("j")
    assert throttle.count("j", 60) == 0


# CSRF (on for these tests only; the other client tests switch it off)


def csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_post_without_csrf_token_is_refused_with_a_friendly_page(client, teacher):
    response = sign_in(client, teacher.email)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "<h1>Bad request</h1>" in page and "if a form expired, reload the page" in page
    assert not signed_in(client)


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_post_with_csrf_token_signs_in(client, teacher):
    token = csrf_token(client.get("/sign-in").get_data(as_text=True))
    response = client.post("/sign-in", data={"email": teacher.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert signed_in(client)


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_htmx_post_with_csrf_header_succeeds(client, teacher):
    token = csrf_token(client.get("/sign-in").get_data(as_text=True))
    client.post("/sign-in", data={"email": teacher.email, "password": PASSWORD, "csrf_token": token})
    home = client.get("/").get_data(as_text=True)
    header_token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', home).group(1)
    refused = client.post("/account", headers={"HX-Request": "true"})
    assert refused.status_code == 400 and 'class="error-panel"' in refused.get_data(as_text=True)
    assert signed_in(client)
    accepted = client.post("/account", headers={"HX-Request": "true", "X-CSRFToken": header_token})
    assert accepted.status_code == 302
    assert not signed_in(client)


def test_staff_loader_reads_a_fresh_row(app, teacher):
    """The session keeps only '<id>.<epoch>'; nothing about roles is trusted from the cookie."""
    with app.test_request_context():
        session["_user_id"] = f"{teacher.id}.0"
        assert db.session.get(Staff, teacher.id).roles == {"teacher"}


def test_a_panel_polling_in_the_background_does_not_keep_an_idle_device_signed_in(client, auth):
    auth.login()
    set_last_seen(client, 20 * 60)
    assert client.get("/", headers={"X-RRP-Background": "1"}).status_code == 200
    with client.session_transaction() as sess:
        assert int(time.time()) - sess["seen"] >= 20 * 60  # the background request did not count
    set_last_seen(client, 31 * 60)
    assert client.get("/", headers={"X-RRP-Background": "1"}).status_code == 302


# Changing one's own password


def test_account_page_offers_a_password_change(client, teacher):
    sign_in(client, teacher.email)
    page = client.get("/account").get_data(as_text=True)
    assert "Change your password" in page
    assert 'autocomplete="current-password"' in page and 'autocomplete="new-password"' in page


def test_changing_ones_password_keeps_this_device_and_signs_out_the_others(app, teacher):
    phone, tablet = app.test_client(), app.test_client()
    sign_in(phone, teacher.email)
    sign_in(tablet, teacher.email)
    response = phone.post("/account/password", data={"current_password": PASSWORD,
                                                     "new_password": "my own long phrase"}, follow_redirects=True)
    assert "Your password has been changed." in response.get_data(as_text=True)
    assert signed_in(phone)
    assert not signed_in(tablet)
    assert sign_in(tablet, teacher.email).status_code == 401
    assert sign_in(tablet, teacher.email, "my own long phrase").status_code == 302


def test_a_wrong_current_password_or_a_short_new_one_is_explained_and_nothing_changes(client, teacher):
    sign_in(client, teacher.email)
    before = teacher.password_hash
    wrong = client.post("/account/password", data={"current_password": "guess", "new_password": "my own long phrase"})
    assert wrong.status_code == 400
    assert "That isn&#39;t your current password." in wrong.get_data(as_text=True)
    short = client.post("/account/password", data={"current_password": PASSWORD, "new_password": "short"})
    assert short.status_code == 400 and "Use at least 10 characters." in short.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Staff, teacher.id).password_hash == before
    assert signed_in(client)


@pytest.mark.app_config(LOGIN_ACCOUNT_LIMIT=2)
def test_guessing_the_current_password_is_throttled_without_locking_the_person_out_of_sign_in(app, client,
                                                                                          teacher):
    sign_in(client, teacher.email)
    for _ in range(2):
        client.post("/account/password", data={"current_password": "guess", "new_password": "my own long phrase"})
    locked = client.post("/account/password", data={"current_password": PASSWORD,
                                                    "new_password": "my own long phrase"})
    assert locked.status_code == 429
    assert "Too many wrong passwords for this account. Please wait 15 minutes" in locked.get_data(as_text=True)
    assert sign_in(app.test_client(), teacher.email).status_code == 302


def test_changing_a_password_needs_a_sign_in(client):
    response = client.post("/account/password", data={"current_password": PASSWORD, "new_password": "x" * 12})
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_changing_a_password_needs_the_csrf_token(client, teacher):
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/sign-in", data={"email": teacher.email, "password": PASSWORD, "csrf_token": token})
    refused = client.post("/account/password", data={"current_password": PASSWORD, "new_password": "x" * 12})
    assert refused.status_code == 400
    db.session.expire_all()
    assert db.session.get(Staff, teacher.id).check_password(PASSWORD)


def test_a_form_sent_after_the_idle_timeout_returns_to_its_page_after_sign_in(client, auth):
    """A teacher's tap on a plain form (Pass, on a circle screen whose scripts had not run) after 31 idle
    minutes: sign-in, then back to the page the form was on - not to the form's address, which takes only
    POST and would say "Method not allowed"."""
    auth.login()
    set_last_seen(client, 31 * 60)
    response = client.post("/circles/1/turn", data={"turn": "pass"},
                           headers={"Referer": "http://localhost/circles/1?x=1"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?next=/circles/1?x%3D1"


def test_a_form_sent_after_the_idle_timeout_without_a_page_returns_home_after_sign_in(client, auth):
    auth.login()
    set_last_seen(client, 31 * 60)
    for referer in (None, "http://localhost//evil.example/x",
                    "http://localhost/circles/1/close"):  # the asking page: the answer to a POST, not a page to open
        set_last_seen(client, 31 * 60)
        response = client.post("/circles/1/turn", data={"turn": "pass"},
                               headers={"Referer": referer} if referer else {})
        assert response.status_code == 302
        assert response.headers["Location"] == "/sign-in"
