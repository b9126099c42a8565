"""First-load weight of the main pages: gzip-compressed HTML + CSS + JS, against the budget.

Builds the demo school in a temporary SQLite database, signs in through the real sign-in form
(Flask test client, no network), and for each main page adds up the page itself and every
stylesheet and script it links, each compressed on its own as a server would send it
(gzip level 6). Images (the 32 px icon) are not counted. Also prints the size of the htmx
fragment a live pupil search swaps in.

    .venv/bin/python bench/page_weight.py [--budget-kb 60] [--fragment-budget-kb 5]

Exits 1 if any page is over budget.
"""
import argparse
import gzip
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from rrp_pwa import create_app  # noqa: E402
from rrp_pwa.demo import seed_demo_school  # noqa: E402
from rrp_pwa.circles.joining import join_circle, open_circle  # noqa: E402
from rrp_pwa.circles.seats import SEAT_COOKIE, seat_path  # noqa: E402
from rrp_pwa.extensions import db  # noqa: E402
from rrp_pwa.models import Group, Pupil, Staff  # noqa: E402

PASSWORD = "bench page weight"
ASSET = re.compile(r'<(?:link rel="stylesheet" href|script src)="([^"]+)"')


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def weigh(client, url: str) -> tuple[int, int, int, int]:
    """(status, gzipped HTML, gzipped CSS+JS it links, number of assets)."""
    response = client.get(url)
    html = response.get_data()
    assets = ASSET.findall(html.decode())
    asset_bytes = 0
    for asset in assets:
        with client.get(asset) as linked:
            asset_bytes += gz(linked.get_data())
    return response.status_code, gz(html), asset_bytes, len(assets)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget-kb", type=float, default=60)
    parser.add_argument("--fragment-budget-kb", type=float, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3", "SECRET_KEY": "bench",
                          "INSTANCE_PATH": tmp, "WTF_CSRF_ENABLED": False})
        with app.app_context():
            db.create_all()
            seed_demo_school(PASSWORD)
            db.session.commit()
            pupil = db.session.scalar(select(Pupil).order_by(Pupil.id))
            group = db.session.scalar(select(Group).where(Group.kind == "class").order_by(Group.id))
            pages = [("sign-in (anonymous)", "head@oakfield.example", None, "/sign-in"),
                     ("offline", None, None, "/offline")]
            for label, url in [("home", "/"), ("pupils", "/pupils"), ("pupil search", "/pupils?q=a"),
                               ("pupil record", f"/pupils/{pupil.id}"), ("groups", "/groups"),
                               ("group", f"/groups/{group.id}"), ("staff", "/admin/staff"),
                               ("add a pupil", "/admin/pupils/new"), ("school overview", "/overview?period=year"),
                               ("group members (all 170 pupils)", f"/admin/groups/{group.id}/members")]:
                pages.append((label + " (admin)", "head@oakfield.example", True, url))
            pages.append(("home (teacher)", "teacher1@oakfield.example", True, "/"))
            pages.append(("groups (teacher)", "teacher1@oakfield.example", True, "/groups"))
            # The two pages with offline forms, the only ones that load static/js/capture.js.
            pages.append(("record offline (teacher)", "teacher1@oakfield.example", True, "/capture"))
            pages.append(("log a chat (teacher)", "teacher1@oakfield.example", True, "/chats/new"))
            # A morning circle for the teacher's class, with every pupil in it: the keeper's
            # page, and the page on one pupil's tablet (its seat cookie set as joining sets it).
            teacher = db.session.scalar(select(Staff).where(Staff.email == "teacher1@oakfield.example"))
            own = db.session.scalar(select(Group).where(Group.kind == "class", Group.staff.contains(teacher))
                                    .order_by(Group.id))
            circle = open_circle(teacher, "checkin", own, auto_admit=True)
            seats = [join_circle(circle, pupil=pupil) for pupil in own.pupils]
            db.session.commit()
            pages.append((f"circle keeper ({len(seats)} seated, teacher)", "teacher1@oakfield.example", True,
                          f"/circles/{circle.id}"))
            pages.append(("circle seat (a pupil's tablet)", "seat", None, f"/circles/{circle.id}/seat"))
            # Tablets handed on to pupils (they load static/js/outbox.js to forget the last teacher's pupil list):
            # the class's check-in station, opened by its teacher on the tablet, and the mediators' sign-in.
            pages.append((f"check-in station ({len(own.pupils)} names)", "station", None, "/station"))
            pages.append(("mediator sign-in (anonymous)", None, None, "/sign-in/mediator"))

            over, clients = False, {}
            print(f"{'page':<42} {'status':>6} {'HTML':>8} {'CSS+JS':>8} {'total':>8}  budget {args.budget_kb:g} KB")
            for label, email, signed_in, url in pages:
                key = email if signed_in or email in ("seat", "station") else None
                if key not in clients:
                    clients[key] = app.test_client()
                    if signed_in:
                        clients[key].post("/sign-in", data={"email": email, "password": PASSWORD})
                    elif key == "seat":
                        clients[key].set_cookie(SEAT_COOKIE, seats[0][1], path=seat_path(circle.id))
                    elif key == "station":
                        clients[key].post("/sign-in", data={"email": teacher.email, "password": PASSWORD})
                        clients[key].post(f"/checkins/groups/{own.id}/station", data={"minutes": "30"})
                status, html, assets, count = weigh(clients[key], url)
                total = html + assets
                flag = "" if total <= args.budget_kb * 1024 else "  OVER"
                over = over or bool(flag)
                print(f"{label:<42} {status:>6} {html / 1024:>7.1f}K {assets / 1024:>7.1f}K {total / 1024:>7.1f}K{flag}")
            admin = clients["head@oakfield.example"]
            fragment = admin.get("/pupils", headers={"HX-Request": "true"}).get_data()
            size, rows = gz(fragment), fragment.count(b'<li class="row')
            print(f"{f'htmx fragment: pupil search ({rows} rows)':<42} {'':>6} {size / 1024:>7.1f}K"
                  f"{'' if size <= args.fragment_budget_kb * 1024 else '  OVER'}  budget {args.fragment_budget_kb:g} KB")
            over = over or size > args.fragment_budget_kb * 1024
            db.session.remove()
            db.engine.dispose()
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
