"""Generate a OneRoster 1.2 package for a 2,000-pupil school and time its import (budget: < 10 s).

    .venv/bin/python bench/oneroster_import.py [--pupils 2000] [--database-url sqlite:////tmp/bench.db]

Prints the package size and the time of the dry run, the import and a re-import (which must
change nothing). Uses a fresh SQLite file unless --database-url is given.
"""
import argparse
import csv
import io
import tempfile
import time
import zipfile
from pathlib import Path

from rrp_pwa import create_app
from rrp_pwa.extensions import db
from rrp_pwa.models import Pupil, School
from rrp_pwa.sync.oneroster import import_roster

STAMP = "2026-09-01T08:00:00Z"


def write_csv(archive: zipfile.ZipFile, name: str, header: list[str], rows: list[list[str]]) -> None:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    archive.writestr(name, text.getvalue())


def build_package(pupils: int, class_size: int = 30) -> bytes:
    """A bulk package: one school, one year, pupils in classes of ``class_size`` with a teacher each."""
    classes = (pupils + class_size - 1) // class_size
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        manifest = [["manifest.version", "1.0"], ["oneroster.version", "1.2"]] + [
            [f"file.{n}", "bulk"] for n in ("academicSessions", "classes", "enrollments", "orgs", "roles", "users")]
        write_csv(archive, "manifest.csv", ["propertyName", "value"], manifest)
        write_csv(archive, "orgs.csv", ["sourcedId", "status", "dateLastModified", "name", "type"],
                  [["org-1", "", STAMP, "Bench Academy", "school"]])
        write_csv(archive, "academicSessions.csv",
                  ["sourcedId", "status", "dateLastModified", "title", "type", "startDate", "endDate", "schoolYear"],
                  [["ay", "", STAMP, "2026 to 2027", "schoolYear", "2026-09-01", "2027-07-22", "2027"]])
        write_csv(archive, "classes.csv", ["sourcedId", "status", "dateLastModified", "title", "classType",
                                           "schoolSourcedId", "termSourcedIds"],
                  [[f"class-{c}", "", STAMP, f"Class {c}", "homeroom", "org-1", "ay"] for c in range(classes)])
        users, roles, enrollments = [], [], []
        for n in range(pupils):
            users.append([f"stu-{n}", "", STAMP, "true", f"Pupil{n}", f"Family{n % 97}", "", f"{7 + n % 5:02d}"])
            roles.append([f"role-stu-{n}", "", STAMP, f"stu-{n}", "primary", "student", "org-1"])
            enrollments.append([f"enr-stu-{n}", "", STAMP, f"class-{n // class_size}", "org-1", f"stu-{n}", "student"])
        for c in range(classes):
            users.append([f"tea-{c}", "", STAMP, "true", f"Teacher{c}", "Staff", f"t{c}@bench.example", ""])
            roles.append([f"role-tea-{c}", "", STAMP, f"tea-{c}", "primary", "teacher", "org-1"])
            enrollments.append([f"enr-tea-{c}", "", STAMP, f"class-{c}", "org-1", f"tea-{c}", "teacher"])
        write_csv(archive, "users.csv", ["sourcedId", "status", "dateLastModified", "enabledUser", "givenName",
                                         "familyName", "email", "grades"], users)
        write_csv(archive, "roles.csv", ["sourcedId", "status", "dateLastModified", "userSourcedId", "roleType",
                                         "role", "orgSourcedId"], roles)
        write_csv(archive, "enrollments.csv", ["sourcedId", "status", "dateLastModified", "classSourcedId",
                                               "schoolSourcedId", "userSourcedId", "role"], enrollments)
    return buffer.getvalue()


def timed(label: str, fn):
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    print(f"{label:<34} {seconds:6.2f} s")
    return result, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pupils", type=int, default=2000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    data = build_package(args.pupils)
    print(f"package: {args.pupils} pupils, {len(data) / 1024:.0f} KB zipped; database: {url.split(':')[0]}")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        school = School(name="Bench Academy", slug="bench-academy")
        db.session.add(school)
        db.session.commit()
        plan, _ = timed("dry run (validate + diff)", lambda: import_roster(school, data, apply=False))
        db.session.rollback()

        def run():
            result = import_roster(school, data, apply=True)
            db.session.commit()
            return result

        _, seconds = timed("import (validate + write + commit)", run)
        again, _ = timed("re-import (no changes)", run)
        print(f"changes: {len(plan.changes)} first time, {len(again.changes)} on re-import; "
              f"pupils stored: {db.session.query(Pupil).count()}")
        print(f"import of {args.pupils} pupils: {seconds:.2f} s (budget 10 s) -> {'OK' if seconds < 10 else 'TOO SLOW'}")
        db.session.remove()
        db.drop_all()


if __name__ == "__main__":
    main()
