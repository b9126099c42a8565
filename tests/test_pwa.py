"""The installable shell: manifest, service worker, offline page, icons, home tiles."""
import hashlib
import json
import re
import struct
from pathlib import Path

import pytest

from rrp_pwa.home.tiles import TILES_BY_ROLE, Tile, add_tiles, tiles_for
from rrp_pwa.pwa.shell import SHELL_STATIC, shell_version, static_file_version
from tests.conftest import make_school, make_staff


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_manifest_makes_the_app_installable(client):
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json()
    assert manifest["name"] == "RRP - Restorative practice" and manifest["short_name"] == "RRP"
    assert manifest["start_url"] == "/" and manifest["scope"] == "/" and manifest["display"] == "standalone"
    assert manifest["theme_color"].startswith("#") and manifest["background_color"].startswith("#")
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes


def test_manifest_icons_are_real_pngs_of_the_stated_size(client):
    for icon in client.get("/manifest.webmanifest").get_json()["icons"]:
        with client.get(icon["src"]) as response:
            assert response.status_code == 200 and response.mimetype == "image/png"
            width, height = png_size(response.get_data())
        assert f"{width}x{height}" == icon["sizes"]


def test_service_worker_is_served_from_the_root(client):
    response = client.get("/sw.js")
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.get_data(as_text=True)
    assert 'const CACHE = "rrp-shell-' in body
    assert '"/offline"' in body and '"/static/css/app.css?v=' in body


def test_service_worker_precaches_only_the_shell(client):
    """Pages that show pupil data are never cached: the precache holds static files and the
    offline page, and the fetch handler answers navigations from the network."""
    body = client.get("/sw.js").get_data(as_text=True)
    shell = body.split("const SHELL = ")[1].split(";")[0]
    for url in ("/pupils", "/groups", '"/"', "/admin"):
        assert url not in shell
    assert "cache.put" not in body
    assert "fetch(request).catch(() => caches.match(OFFLINE_URL))" in body


def test_every_precached_file_exists(client):
    for name in SHELL_STATIC:
        with client.get(f"/static/{name}") as response:
            assert response.status_code == 200, name


def sw_list(body: str, name: str) -> list[str]:
    """A list the service worker's script is given (``const NAME = [...]``), as the server wrote it."""
    return json.JSONDecoder().raw_decode(body.split(f"const {name} = ")[1])[0]


STAFF_WORDS = ("Designated Safeguarding Lead", "Record offline", "signed in", "sign in", "/capture", "/sign-in",
               "Nothing you saved")


def test_pupils_offline_page_is_in_a_childs_words_with_no_staff_words_or_scripts(client):
    """A pupil's seat (or a joining page) reloaded with no signal gets this page from the service worker: it says
    they have no signal, that their place in the circle is kept, gives a Try again that reloads the very page that
    could not load (no script: the CSP allows none inline, and none is needed), and whom to tell."""
    response = client.get("/offline/pupil")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"
    assert "<h1>No signal just now</h1>" in page and "<script" not in page and "style=" not in page
    assert "Your place is kept." in page and "tell the adult keeping the circle, or your mediation lead" in page
    assert "A mediation is kept too, up\n        to the last step you saved." in page
    assert '<a class="button primary wide" href="">Try again</a>' in page
    assert re.findall(r'href="([^"]*)"', page) == ["/static/css/app.css?v=" + page.split("app.css?v=")[1][:12], ""]
    for words in STAFF_WORDS:
        assert words.lower() not in page.lower(), words


def test_service_worker_precaches_the_pupils_offline_page(client):
    body = client.get("/sw.js").get_data(as_text=True)
    assert "/offline/pupil" in sw_list(body, "SHELL") and 'const PUPIL_OFFLINE_URL = "/offline/pupil";' in body
    assert "fetch(request).catch(() => caches.match(PUPIL_OFFLINE_URL))" in body


def sample_path(rule) -> str:
    return re.sub(r"<int:[^>]+>", "7", re.sub(r"<(?:string:)?([^:>]+)>", r"abc", rule.rule))


def test_the_pupils_offline_page_stands_in_for_every_pupil_page_and_no_staff_page(app, client):
    """The service worker tells a pupil's page by its path (PUPIL_PAGES): every page a pupil opens in a circle
    with no sign-in (the joining pages, the seat) is one, and so is every page of the peer mediators' (review:
    they met the staff page, with its DSL and Record offline); no staff page is, the keeper's screen and the
    mediation lead's among them."""
    patterns = [re.compile(pattern) for pattern in sw_list(client.get("/sw.js").get_data(as_text=True), "PUPIL_PAGES")]
    pupils, staff = [], []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        module = app.view_functions[rule.endpoint].__module__
        pupils_page = module in ("rrp_pwa.circles.participant_routes", "rrp_pwa.mediation.routes")
        (pupils if pupils_page else staff).append(sample_path(rule))
    assert {"/join", "/join/abc", "/circles/7/seat", "/sign-in/mediator", "/mediate", "/mediate/7"} <= set(pupils)
    for path in pupils:
        assert any(pattern.search(path) for pattern in patterns), path
    assert {"/circles/7", "/circles/new", "/capture", "/station", "/mediation", "/sign-in", "/"} <= set(staff)
    for path in staff:
        assert not any(pattern.search(path) for pattern in patterns), path


def test_the_service_worker_cache_changes_when_the_pupils_offline_page_changes(app, client, tmp_path, monkeypatch):
    """A new wording of the pupils' offline page reaches phones that have the app already: the service worker's
    cache name changes with it, so the new worker precaches it afresh."""
    before = client.get("/sw.js").get_data(as_text=True).split('const CACHE = "')[1].split('"')[0]
    templates = tmp_path / "templates"
    for name in ("pwa/offline.html", "pwa/offline_pupil.html", "pwa/sw.js"):
        (templates / name).parent.mkdir(parents=True, exist_ok=True)
        (templates / name).write_text((Path(app.template_folder) / name).read_text())
    (templates / "pwa/offline_pupil.html").write_text("<h1>No signal just now</h1> (new words)")
    monkeypatch.setattr(app, "template_folder", str(templates))
    after = client.get("/sw.js").get_data(as_text=True).split('const CACHE = "')[1].split('"')[0]
    assert after != before


def test_shell_version_changes_when_a_shell_file_changes(tmp_path):
    static, offline = tmp_path / "static", tmp_path / "offline.html"
    for name in SHELL_STATIC:
        (static / name).parent.mkdir(parents=True, exist_ok=True)
        (static / name).write_bytes(b"one")
    offline.write_text("offline")
    first = shell_version(str(static), str(offline))
    (static / "css/app.css").write_bytes(b"two")
    shell_version.cache_clear()
    assert shell_version(str(static), str(offline)) != first
    shell_version.cache_clear()


def test_pages_ask_for_the_static_files_the_service_worker_precaches_by_their_hash(client):
    """A new release's page names each file by its content, so a worker (or browser cache) still
    holding the old release cannot answer it with the old file."""
    page = client.get("/sign-in").get_data(as_text=True)
    shell = json.loads(client.get("/sw.js").get_data(as_text=True).split("const SHELL = ")[1].split(";")[0])
    with client.get("/static/js/app.js") as response:
        app_js = f"/static/js/app.js?v={hashlib.sha256(response.get_data()).hexdigest()[:12]}"
    assert f'<script src="{app_js}" defer></script>' in page and app_js in shell
    asked_for = set(re.findall(r'(?:src|href)="(/static/[^"]+)"', page))
    assert {"/static/css/app.css", "/static/vendor/htmx-2.0.11.min.js"} <= {url.split("?")[0] for url in asked_for}
    precached = {f"/static/{name}" for name in SHELL_STATIC}
    for url in asked_for:
        assert "?v=" in url, url
        assert url in shell or url.split("?")[0] not in precached, url
        with client.get(url) as response:
            assert response.status_code == 200, url


def test_a_static_files_version_changes_with_its_content(tmp_path):
    script = tmp_path / "js" / "app.js"
    script.parent.mkdir()
    script.write_text("one")
    first = static_file_version(str(tmp_path), "js/app.js")
    script.write_text("two, longer")
    assert static_file_version(str(tmp_path), "js/app.js") not in (None, first)
    assert static_file_version(str(tmp_path), "js/missing.js") is None
    assert static_file_version(str(tmp_path), "../outside.js") is None


def test_offline_page_needs_no_sign_in_and_no_scripts(client):
    response = client.get("/offline")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>You're offline</h1>" in page and "<script" not in page
    # "Raise a concern" tapped with no signal lands here: a worry must not wait for signal
    assert "tell the Designated Safeguarding Lead in person now" in page


def test_pages_link_the_manifest_and_vendored_htmx(client):
    page = client.get("/sign-in").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert "/static/vendor/htmx-2.0.11.min.js" in page and "/static/vendor/htmx-ext-sse-2.2.4.min.js" in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page


def test_every_page_tells_htmx_to_give_up_after_15_seconds(client):
    """The setting behind "No answer ... may not have been done" on a stalled connection (the browser test
    tests/e2e/test_pwa_request_feedback.py shows the message after a stalled tap)."""
    page = client.get("/sign-in").get_data(as_text=True)
    config = json.loads(page.split('<meta name="htmx-config" content=\'')[1].split("'")[0])
    assert config["timeout"] == 15000
    assert config["allowEval"] is False and config["selfRequestsOnly"] is True


def test_vendored_htmx_versions_match_their_file_names(client):
    with client.get("/static/vendor/htmx-2.0.11.min.js") as response:
        assert b'version:"2.0.11"' in response.get_data().replace(b" ", b"")


# Home screen per role


@pytest.mark.parametrize("roles,includes,excludes", [
    (("teacher",), {"My groups"}, {"Staff"}),
    (("support",), {"Find a pupil"}, {"Staff", "Groups"}),
    (("admin",), {"Staff", "Pupils", "Groups"}, {"Find a pupil"}),
    (("pastoral",), {"Pupils"}, {"Staff"}),
])
def test_home_shows_what_each_role_does_most(client, auth, roles, includes, excludes):
    """Other capabilities add their own tiles; these are the roster's."""
    auth.login(roles=roles)
    page = client.get("/").get_data(as_text=True)
    titles = {chunk.split("<")[0] for chunk in page.split('class="tile-title">')[1:]}
    assert includes <= titles and not excludes & titles


def test_tiles_for_a_person_with_several_roles_do_not_repeat(app):
    staff = make_staff(make_school(), ("admin", "pastoral", "dsl"))
    with app.test_request_context():
        urls = [tile["url"] for tile in tiles_for(staff)]
    assert len(urls) == len(set(urls))


def test_add_tiles_puts_a_capability_on_the_home_screen(app):
    saved = {role: list(tiles) for role, tiles in TILES_BY_ROLE.items()}
    try:
        add_tiles("support", Tile("Log a quick chat", "In the playground.", "home.index"), first=True)
        staff = make_staff(make_school(), ("support",))
        with app.test_request_context():
            assert tiles_for(staff)[0]["title"] == "Log a quick chat"
    finally:
        TILES_BY_ROLE.clear()
        TILES_BY_ROLE.update(saved)


def test_only_record_offline_and_log_a_chat_load_the_offline_forms_script(client, auth):
    """The offline forms' script (static/js/capture.js, about 10 KB compressed) is loaded by the two pages
    with offline forms, just before the outbox that starts it, and precached so that Record offline kept on
    the phone opens with no signal; every other signed-in page (the circle keeper's among them) is spared it."""
    auth.login()
    shell = json.loads(client.get("/sw.js").get_data(as_text=True).split("const SHELL = ")[1].split(";")[0])
    for url in ("/capture", "/chats/new"):
        page = client.get(url).get_data(as_text=True)
        scripts = re.findall(r'<script src="(/static/js/[^"]+)" defer>', page)
        names = [script.split("?")[0] for script in scripts]
        assert names.index("/static/js/capture.js") + 1 == names.index("/static/js/outbox.js"), url
        assert scripts[names.index("/static/js/capture.js")] in shell, url
    for url in ("/", "/pupils", "/groups", "/account"):
        page = client.get(url).get_data(as_text=True)
        assert "/static/js/outbox.js" in page and "/static/js/capture.js" not in page, url
