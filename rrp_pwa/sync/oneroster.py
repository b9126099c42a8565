"""OneRoster CSV roster import: validate the whole package, then show or apply the diff.

Rules:
- Nothing is written unless the whole package is valid: the manifest, each file's required
  columns, allowed values, dates, and every sourcedId reference (to a row in the package or,
  for a delta, to a record imported earlier). Each problem names the file, line and column.
- Records are matched by sourcedId (``external_id``), so importing the same package twice
  changes nothing. Pupils are users with the role ``student``; staff are ``teacher`` (role
  teacher), ``administrator`` (role admin) and ``aide`` (role support); other roles (parents,
  guardians...) are not imported, and the diff lists each of them, and each enrolment not imported,
  with its file, line and why (by sourcedId and role: never a parent's name or email). Roles come from roles.csv (OneRoster 1.2) or, in a package
  without one (OneRoster 1.1), from users.csv's ``role`` column. A new user with no role at all
  is a problem: we can't tell a pupil from a member of staff. Classes become groups
  (``homeroom`` a tutor group, ``scheduled`` a class) and enrolments their members.
- Delta rows with status ``tobedeleted`` archive pupils and groups, deactivate staff and remove
  memberships; a user the MIS has disabled (``enabledUser`` false) is archived or deactivated
  too. In a bulk file, a record imported earlier that is no longer listed is archived
  (or deactivated) the same way, and a bulk enrollments.csv is every imported class's whole list
  of roster members (an archived class has none). Records typed in by hand (no sourcedId) are
  never touched: neither are pupils and staff added by hand to an imported class.
- Imports of one school run one after the other, never side by side (``lock_roster``): the second
  waits for the first to commit, then works from the roster the first left; one that would wait
  longer than ROSTER_LOCK_WAIT_MS is refused (RosterBusy) and writes nothing.
- New staff accounts are created deactivated with no password (``NO_PASSWORD``): an admin sets a
  first password for each one from the Staff screen, which lets them sign in. A member of staff the
  MIS says has left is marked so (``mis_left``, in the audit trail) as well as deactivated, so that no
  admin lets them in again until an import finds them listed again; that import does not let them in
  by itself either. Imported roles are added to the roles a member already holds, never taken away.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import lzma
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePosixPath

from sqlalchemy import delete, insert, select

from rrp_pwa.audit import audit
from rrp_pwa.extensions import db
from rrp_pwa.models import Group, GroupPupil, GroupStaff, Pupil, School, Staff
from rrp_pwa.models.roster import NO_PASSWORD
from rrp_pwa.roster.directory import note_added, note_roles
from rrp_pwa.tenancy import SchoolBusy, hold_school

FILE_MODES = ("bulk", "delta", "absent")
KNOWN_FILES = ("orgs", "academicSessions", "courses", "classes", "users", "roles", "enrollments")
REQUIRED_FILES = ("orgs", "academicSessions", "classes", "users", "roles", "enrollments")
REQUIRED_FILES_1_1 = ("orgs", "academicSessions", "classes", "users", "enrollments")  # roles are in users.csv
REQUIRED_COLUMNS = {
    "orgs": ("sourcedId", "status", "dateLastModified", "name", "type"),
    "academicSessions": ("sourcedId", "status", "dateLastModified", "title", "type", "startDate", "endDate",
                         "schoolYear"),
    "courses": ("sourcedId", "status", "dateLastModified", "title", "orgSourcedId"),
    "classes": ("sourcedId", "status", "dateLastModified", "title", "classType", "schoolSourcedId",
                "termSourcedIds"),
    "users": ("sourcedId", "status", "dateLastModified", "enabledUser", "givenName", "familyName"),
    "roles": ("sourcedId", "status", "dateLastModified", "userSourcedId", "roleType", "role", "orgSourcedId"),
    "enrollments": ("sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId",
                    "userSourcedId", "role"),
}
ORG_TYPES = ("department", "school", "district", "local", "state", "national")
SESSION_TYPES = ("gradingPeriod", "semester", "schoolYear", "term")
CLASS_TYPES = ("homeroom", "scheduled")
USER_ROLES = ("administrator", "aide", "counselor", "districtAdministrator", "guardian", "parent", "principal",
              "proctor", "relative", "siteAdministrator", "student", "systemAdministrator", "teacher")
ROLE_TYPES = ("primary", "secondary")
SKIPPED_KINDS = (("users.csv", "user"), ("enrollments.csv", "enrolment"))  # what the diff lists as not imported
STAFF_ROLES = {"teacher": "teacher", "administrator": "admin", "aide": "support"}
PUPIL_FIELDS = ("given_name", "family_name", "preferred_name", "year_group", "archived")
STAFF_FIELDS = ("name", "email", "active")
GROUP_FIELDS = ("name", "kind", "archived")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_SOURCED_ID, MAX_EMAIL = 64, 254  # the lengths of external_id and Staff.email
NOT_A_ZIP = ("This is not a ZIP file. Upload the whole OneRoster package your MIS exports: one ZIP holding all its "
             "CSV files (manifest.csv, users.csv, classes.csv...), not one CSV file on its own.")
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024  # a large secondary school's package unzips to a few MB
ROSTER_LOCK_WAIT_MS = 20_000  # a large secondary school's import takes a few seconds


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}, line {self.line}" if self.line else self.file
        return f"{where}, column {self.column}: {self.message}" if self.column else f"{where}: {self.message}"


class OneRosterInvalid(Exception):
    """The package breaks the rules; ``problems`` lists every one found (nothing was written)."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s) in the OneRoster package")
        self.problems = problems


class RosterBusy(Exception):
    """Another import of this school's roster held it for longer than ROSTER_LOCK_WAIT_MS: nothing was
    written (the caller rolls back); check the package again once that import has finished."""


def lock_roster(school_id: int) -> None:
    """Hold the school's roster until this transaction ends (``hold_school``), so that two imports (two
    admins' confirms, the command line and the web) run one after the other, each reading the roster
    the other left: side by side, each would add the same pupils (a unique-key error, a server error)
    or make changes worked out from a roster that no longer exists. Take it before reading the
    roster. Raise RosterBusy after waiting ROSTER_LOCK_WAIT_MS for another import."""
    try:
        with hold_school(school_id, ROSTER_LOCK_WAIT_MS):
            pass  # only the hold itself waits at most ROSTER_LOCK_WAIT_MS; the import's writes then wait as usual
    except SchoolBusy as busy:
        raise RosterBusy from busy


@dataclass
class Change:
    kind: str        # pupil, staff, group, membership
    action: str      # added, changed, archived, removed
    external_id: str
    label: str
    details: list[str] = field(default_factory=list)
    group: str = ""  # a membership's class or group


@dataclass
class ImportPlan:
    """What an import does (or did): every change, grouped for the diff screen, and every user and
    enrolment that is not imported (``skipped``, each with its file, line and why)."""

    changes: list[Change] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    schools: list[tuple[str, str]] = field(default_factory=list)  # orgs.csv's schools: (name, identifier)

    @property
    def schools_named(self) -> str:
        """The package's schools as the diff names them: "Brook Primary (URN100001)"."""
        return ", ".join(f"{name} ({identifier})" if identifier else name for name, identifier in self.schools)

    def for_another_school(self, school: School) -> bool:
        """The package names schools, none of them ``school`` (by name): perhaps another school's export."""
        names = {name.casefold() for name, _ in self.schools}
        return bool(names) and school.name.strip().casefold() not in names

    def with_other_schools(self, school: School) -> bool:
        """The package names ``school`` and another school too (a trust's or an authority's export): every
        user in it is imported here, whichever school they are at."""
        names = {name.casefold() for name, _ in self.schools}
        return not self.for_another_school(school) and len(names - {school.name.strip().casefold()}) > 0

    def of(self, kind: str, action: str) -> list[Change]:
        return [c for c in self.changes if c.kind == kind and c.action == action]

    def counts(self) -> dict[str, dict[str, int]]:
        table: dict[str, dict[str, int]] = {}
        for change in self.changes:
            table.setdefault(change.kind, {}).setdefault(change.action, 0)
            table[change.kind][change.action] += 1
        return table

    @property
    def empty(self) -> bool:
        return not self.changes

    def skipped_by_kind(self) -> list[tuple[str, list[Problem]]]:
        """What is not imported, users then enrolments, each named by the word the admin reads."""
        kinds = [(noun, [problem for problem in self.skipped if problem.file == filename])
                 for filename, noun in SKIPPED_KINDS]
        return [(noun, skipped) for noun, skipped in kinds if skipped]

    def fingerprint(self) -> str:
        """The SHA-256 of the whole diff as the admin sees it (changes, skipped users and enrolments). A dry
        run and the import it shows give the same fingerprint against the same roster, so a confirm
        can tell that the roster changed since the check. The order of the changes does not count:
        the roster is read unordered (PostgreSQL returns rows in the order they were last written)."""
        changes = sorted(json.dumps([c.kind, c.action, c.external_id, c.label, c.details, c.group], ensure_ascii=False)
                         for c in self.changes)
        shown = json.dumps({"changes": changes, "skipped": [str(problem) for problem in self.skipped]})
        return hashlib.sha256(shown.encode()).hexdigest()


@dataclass
class Row:
    line: int
    values: dict[str, str]

    def __getitem__(self, key: str) -> str:
        return (self.values.get(key) or "").strip()


@dataclass
class Package:
    """A parsed package: the mode of each file and its rows (only files the manifest includes)."""

    modes: dict[str, str]
    rows: dict[str, list[Row]]

    @property
    def row_count(self) -> int:
        return sum(len(rows) for rows in self.rows.values())


def read_package(data: bytes) -> Package:
    """Parse and validate the ZIP's manifest and files; raise OneRosterInvalid listing every problem."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, EOFError, OSError, ValueError):
        raise OneRosterInvalid([Problem("package", 0, "", NOT_A_ZIP)]) from None
    members = {PurePosixPath(name).name: name for name in archive.namelist() if not name.endswith("/")}
    if "manifest.csv" not in members:
        raise OneRosterInvalid([Problem("manifest.csv", 0, "", "The package has no manifest.csv.")])
    _check_unzipped_size(archive, [members[f"{name}.csv"] for name in ("manifest",) + KNOWN_FILES
                                   if f"{name}.csv" in members])
    problems: list[Problem] = []
    manifest = _unzip(archive, members["manifest.csv"], problems)
    modes = _read_manifest(None if manifest is None else _rows(manifest, "manifest.csv", problems), members, problems)
    rows: dict[str, list[Row]] = {}
    for name, mode in modes.items():
        if mode == "absent" or f"{name}.csv" not in members:
            continue
        raw = _unzip(archive, members[f"{name}.csv"], problems)
        file_rows = None if raw is None else _rows(raw, f"{name}.csv", problems, REQUIRED_COLUMNS[name])
        if file_rows is not None:
            rows[name] = file_rows
    if not problems:
        for name, file_rows in rows.items():
            _check_values(name, modes[name], file_rows, problems, roles_in_users=modes.get("roles") == "absent")
    if problems:
        raise OneRosterInvalid(problems)
    return Package(modes, rows)


def _check_unzipped_size(archive: zipfile.ZipFile, names: list[str]) -> None:
    """Refuse, before unzipping anything, a package whose files would unzip to more than
    MAX_UNZIPPED_BYTES (a "zip bomb"). Unzipping never yields more than each file's stated size."""
    total = sum(archive.getinfo(name).file_size for name in names)
    if total > MAX_UNZIPPED_BYTES:
        megabytes = 1024 * 1024
        raise OneRosterInvalid([Problem("package", 0, "", f"Unzipped, the package's files come to "
                                        f"{total // megabytes:,} MB; the most we accept is "
                                        f"{MAX_UNZIPPED_BYTES // megabytes:,} MB.")])


def _unzip(archive: zipfile.ZipFile, name: str, problems: list[Problem]) -> bytes | None:
    """One file's bytes, or None with a problem saying why it can't be unzipped."""
    filename = PurePosixPath(name).name
    try:
        return archive.read(name)
    except NotImplementedError:  # a RuntimeError too, so caught first
        message = "This file is compressed in a way we can't read. Export the package as an ordinary ZIP."
    except RuntimeError:  # zipfile's answer to a file that needs a password
        message = "This file is protected by a password. Export the package without one."
    except (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, ValueError):
        message = "This file is damaged inside the ZIP and can't be unzipped. Export the package again."
    problems.append(Problem(filename, 0, "", message))
    return None


def _rows(raw: bytes, filename: str, problems: list[Problem], required: tuple[str, ...] = ()) -> list[Row] | None:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.append(Problem(filename, 0, "", "The file is not UTF-8 text."))
        return None
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = reader.fieldnames or []  # the header line is read here, apart from the rows below
    except csv.Error as exc:
        problems.append(Problem(filename, 1, "", _unreadable(exc)))
        return None
    if not any(column.strip() for column in header):  # not even a header line: one problem, not one per column
        problems.append(Problem(filename, 0, "", "This file is empty. Export the package again."))
        return None
    missing = [column for column in required if column not in header]
    for column in missing:
        problems.append(Problem(filename, 1, column, "This required column is missing."))
    if missing:
        return None
    rows: list[Row] = []
    try:
        for values in reader:
            rows.append(Row(len(rows) + 2, values))
    except csv.Error as exc:  # a value longer than csv's field limit, say: the row, not the server, is wrong
        problems.append(Problem(filename, len(rows) + 2, "", _unreadable(exc)))
        return None
    return rows


def _unreadable(exc: csv.Error) -> str:
    """Why a CSV line can't be read, in words for the admin who uploaded it."""
    if "field larger than field limit" in str(exc):
        return (f"A value on this line is longer than {csv.field_size_limit():,} characters, far more than any "
                "roster field holds. Export the package again.")
    return f"This line is not CSV that can be read ({exc}). Export the package again."


def _read_manifest(rows: list[Row] | None, members: dict[str, str], problems: list[Problem]) -> dict[str, str]:
    if rows is None:
        return {}
    properties = {row["propertyName"]: row for row in rows}
    version = properties.get("oneroster.version")
    if version is None or version["value"] not in ("1.1", "1.2"):
        line = version.line if version else 0
        problems.append(Problem("manifest.csv", line, "value", "oneroster.version must be 1.1 or 1.2."))
    required = REQUIRED_FILES_1_1 if version is not None and version["value"] == "1.1" else REQUIRED_FILES
    modes: dict[str, str] = {}
    for name in KNOWN_FILES:
        row = properties.get(f"file.{name}")
        mode = row["value"] if row else "absent"
        if mode not in FILE_MODES:
            problems.append(Problem("manifest.csv", row.line, "value",
                                    f"file.{name} must be bulk, delta or absent, not '{mode}'."))
            continue
        if mode != "absent" and f"{name}.csv" not in members:
            problems.append(Problem("manifest.csv", row.line, "value",
                                    f"The manifest lists {name}.csv as {mode} but the package has no {name}.csv."))
        if row is None and name in required:
            problems.append(Problem("manifest.csv", 0, "propertyName", f"file.{name} is missing from the manifest."))
        modes[name] = mode
    return modes


def _check_values(name: str, mode: str, rows: list[Row], problems: list[Problem], roles_in_users: bool = False) -> None:
    """Allowed values and dates of one file (references are checked once every file is read).
    ``roles_in_users``: there is no roles.csv, so users.csv's role column (OneRoster 1.1) is read."""
    filename = f"{name}.csv"
    allowed = {"orgs": {"type": ORG_TYPES}, "academicSessions": {"type": SESSION_TYPES},
               "classes": {"classType": CLASS_TYPES}, "users": {"enabledUser": ("true", "false")},
               "roles": {"role": USER_ROLES, "roleType": ROLE_TYPES}, "enrollments": {"role": USER_ROLES}}.get(name, {})
    dates = {"academicSessions": ("startDate", "endDate"), "roles": ("beginDate", "endDate"),
             "enrollments": ("beginDate", "endDate")}.get(name, ())
    seen: set[str] = set()
    for row in rows:
        def bad(column: str, message: str) -> None:
            problems.append(Problem(filename, row.line, column, message))

        if not row["sourcedId"]:
            bad("sourcedId", "Every row needs a sourcedId.")
        elif name in ("users", "classes") and len(row["sourcedId"]) > MAX_SOURCED_ID:  # kept as external_id
            bad("sourcedId", f"This is {len(row['sourcedId'])} characters long; we keep at most {MAX_SOURCED_ID}.")
        elif row["sourcedId"] in seen:
            bad("sourcedId", f"'{row['sourcedId']}' appears twice in this file.")
        seen.add(row["sourcedId"])
        statuses = ("active", "tobedeleted") if mode == "delta" else ("", "active")
        if row["status"] not in statuses:
            bad("status", f"In a {mode} file the status must be {' or '.join(s or 'empty' for s in statuses)}.")
        if row["dateLastModified"] and not _is_datetime(row["dateLastModified"]):
            bad("dateLastModified", f"'{row['dateLastModified']}' is not a date and time like 2026-09-01T08:00:00Z.")
        if mode == "delta" and not row["dateLastModified"]:
            bad("dateLastModified", "A delta file needs dateLastModified on every row.")
        for column, values in allowed.items():
            if row[column] not in values:
                bad(column, f"'{row[column]}' is not allowed here; use one of: {', '.join(values)}.")
        for column in dates:
            if row[column] and not _is_date(row[column]):
                bad(column, f"'{row[column]}' is not a date like 2026-09-01.")
        if name == "users" and roles_in_users and row["role"] and row["role"] not in USER_ROLES:
            bad("role", f"'{row['role']}' is not allowed here; use one of: {', '.join(USER_ROLES)}.")
        if name == "users" and row["email"] and not EMAIL.match(row["email"]):
            bad("email", f"'{row['email']}' is not an email address.")
        elif name == "users" and len(row["email"]) > MAX_EMAIL:
            bad("email", f"This is {len(row['email'])} characters long; we keep at most {MAX_EMAIL}.")
        if name in ("classes", "orgs") and not row["title" if name == "classes" else "name"]:
            bad("title" if name == "classes" else "name", "This can't be empty.")


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def _is_datetime(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def check_references(school: School, package: Package) -> None:
    """Every sourcedId a row points at exists in the package or (for a delta) was imported before."""
    rows, problems = package.rows, []
    org_ids = {row["sourcedId"] for row in rows.get("orgs", [])}
    session_ids = {row["sourcedId"] for row in rows.get("academicSessions", [])}
    course_ids = {row["sourcedId"] for row in rows.get("courses", [])}
    user_ids = {row["sourcedId"] for row in rows.get("users", [])} | _known(Pupil, school) | _known(Staff, school)
    class_ids = {row["sourcedId"] for row in rows.get("classes", [])} | _known(Group, school)

    def check(name: str, column: str, known: set[str], present: bool, optional: bool = False) -> None:
        if not present:
            return
        for row in rows.get(name, []):
            for ref in row[column].split(",") if optional else [row[column]]:
                ref = ref.strip()
                if (ref or not optional) and ref not in known:
                    problems.append(Problem(f"{name}.csv", row.line, column,
                                            f"'{ref}' does not match any sourcedId{_where(column)}."))

    has_orgs = "orgs" in rows
    check("classes", "schoolSourcedId", org_ids, has_orgs)
    check("classes", "termSourcedIds", session_ids, "academicSessions" in rows, optional=True)
    check("classes", "courseSourcedId", course_ids, "courses" in rows, optional=True)
    check("roles", "userSourcedId", user_ids, True)
    check("roles", "orgSourcedId", org_ids, has_orgs)
    check("enrollments", "userSourcedId", user_ids, True)
    check("enrollments", "classSourcedId", class_ids, True)
    check("enrollments", "schoolSourcedId", org_ids, has_orgs)
    if problems:
        raise OneRosterInvalid(problems)


def _where(column: str) -> str:
    return {"userSourcedId": " in users.csv", "classSourcedId": " in classes.csv",
            "schoolSourcedId": " in orgs.csv", "orgSourcedId": " in orgs.csv",
            "termSourcedIds": " in academicSessions.csv", "courseSourcedId": " in courses.csv"}.get(column, "")


def _known(model, school: School) -> set[str]:
    return set(db.session.scalars(select(model.external_id).where(model.school_id == school.id,
                                                                  model.external_id.is_not(None))))


def import_roster(school: School, data: bytes, *, apply: bool, acting: Staff | None = None,
                  progress: Callable[[int], None] | None = None) -> ImportPlan:
    """Validate the package, then work out (and with ``apply``, make) every change; the caller commits.
    An import holds the school's roster until its commit (``lock_roster``; RosterBusy)."""
    package = read_package(data)
    if apply:
        lock_roster(school.id)
    check_references(school, package)
    return _Importer(school, package, apply, acting, progress or (lambda n: None)).run()


class _Importer:
    def __init__(self, school: School, package: Package, apply: bool, acting: Staff | None,
                 progress: Callable[[int], None]):
        self.school, self.package, self.apply, self.acting, self.progress = school, package, apply, acting, progress
        self.plan = ImportPlan()
        self.pupils = {p.external_id: p for p in db.session.scalars(
            select(Pupil).where(Pupil.school_id == school.id, Pupil.external_id.is_not(None)))}
        self.staff = {s.external_id: s for s in db.session.scalars(
            select(Staff).where(Staff.school_id == school.id, Staff.external_id.is_not(None)))}
        self.groups = {g.external_id: g for g in db.session.scalars(
            select(Group).where(Group.school_id == school.id, Group.external_id.is_not(None)))}
        self.new: dict[str, dict[str, str]] = {"pupil": {}, "staff": {}, "group": {}}  # sourcedId -> name of each added
        self.renamed: dict[tuple[str, int], str] = {}  # (kind, id) -> the name before this import changed it

    def run(self) -> ImportPlan:
        rows = self.package.rows
        roles = self.roles = self._roles()
        self.progress(len(rows.get("roles", [])))
        self._check_users(rows.get("users", []), roles)
        self._users(rows.get("users", []), roles)
        self._classes(rows.get("classes", []))
        if self.apply:
            db.session.flush()
        self._enrollments(rows.get("enrollments", []))
        for name in ("orgs", "academicSessions", "courses"):
            self.progress(len(rows.get(name, [])))
        self.plan.schools = [(row["name"], row["identifier"]) for row in rows.get("orgs", [])  # not one a delta deletes
                             if row["type"] == "school" and row["status"] != "tobedeleted"]
        files = [filename for filename, _ in SKIPPED_KINDS]
        self.plan.skipped.sort(key=lambda problem: (files.index(problem.file), problem.line))
        return self.plan

    def _change(self, kind: str, action: str, external_id: str, label: str, details: list[str] | None = None,
                group: str = ""):
        self.plan.changes.append(Change(kind, action, external_id, label, details or [], group))

    def _roles(self) -> dict[str, set[str]]:
        """The OneRoster roles each user holds: from roles.csv, or users.csv's role column without one."""
        roles: dict[str, set[str]] = {}
        if self.package.modes.get("roles", "absent") != "absent":
            for row in self.package.rows.get("roles", []):
                if row["status"] != "tobedeleted":
                    roles.setdefault(row["userSourcedId"], set()).add(row["role"])
        else:
            for row in self.package.rows.get("users", []):
                if row["role"]:
                    roles.setdefault(row["sourcedId"], set()).add(row["role"])
        return roles

    def _kind(self, sid: str, held: set[str]) -> str | None:
        """``pupil``, ``staff`` or None (a parent, say: not imported). A user the package gives no role
        keeps the kind they were imported as."""
        if "student" in held or (not held and sid in self.pupils):
            return "pupil"
        if held & set(STAFF_ROLES) or (not held and sid in self.staff):
            return "staff"
        return None

    def _check_users(self, rows: list[Row], roles: dict[str, set[str]]) -> None:
        """Refuse the package, before anything changes, when a user can't be imported as listed:
        no role, or a member of staff without an email of their own (staff sign in by email, and an
        email is one account in the whole app)."""
        problems: list[Problem] = []
        in_users = self.package.modes.get("roles", "absent") == "absent"
        by_email: dict[str, Row] = {}
        by_account: dict[int, Row] = {}
        for row in rows:
            sid = row["sourcedId"]

            def bad(column: str, message: str) -> None:
                problems.append(Problem("users.csv", row.line, column, message))

            if row["status"] != "tobedeleted" and not roles.get(sid) and self._kind(sid, set()) is None:
                why = ("the package has no roles.csv and users.csv gives no role." if in_users
                       else "roles.csv has no role for them.")
                bad("role" if in_users else "sourcedId", f"We can't tell whether '{sid}' is a pupil or staff: {why}")
            if self._kind(sid, roles.get(sid, set())) != "staff":
                continue
            email = row["email"].lower()
            member = self.staff.get(sid) or (self._signs_in_with(email) if email else None)
            if member is None and _leaving(row):  # not added: nothing to sign in with
                continue
            if member is not None and member.school_id != self.school.id:
                bad("email", f"'{email}' already signs in at another school.")
                continue
            if member is None and not email:
                bad("email", "Staff sign in by email: this teacher or administrator needs one.")
                continue
            email = email or member.email
            holder = self._signs_in_with(email)
            if email in by_email:
                bad("email", f"'{email}' is also on line {by_email[email].line}: "
                             "each member of staff signs in with their own email.")
            elif member is not None and member.id in by_account:
                other = by_account[member.id]
                bad("email", f"This is the account of {member.name}, who is '{other['sourcedId']}' on line "
                             f"{other.line}: each member of staff signs in with their own email.")
            elif holder is not None and holder is not member:
                bad("email", f"'{email}' is already the sign-in email of {holder.name}."
                    if holder.school_id == self.school.id else f"'{email}' already signs in at another school.")
            by_email.setdefault(email, row)
            if member is not None:
                by_account.setdefault(member.id, row)
        if problems:
            raise OneRosterInvalid(problems)

    def _signs_in_with(self, email: str) -> Staff | None:
        """The account, in any school, that signs in with ``email``."""
        return db.session.scalar(select(Staff).where(Staff.email == email))

    def _users(self, rows: list[Row], roles: dict[str, set[str]]) -> None:
        listed: set[str] = set()
        for row in rows:
            sid = row["sourcedId"]
            listed.add(sid)
            held = roles.get(sid, set())
            kind = self._kind(sid, held)
            if kind == "pupil":
                self._pupil(row, _leaving(row))
            elif kind == "staff":
                self._staff(row, {STAFF_ROLES[r] for r in held & set(STAFF_ROLES)}, _leaving(row))
            elif row["status"] != "tobedeleted":
                self._skip("users.csv", row, "sourcedId", _not_pupil_or_staff(sid, held))
        self.progress(len(rows))
        if self.package.modes.get("users") == "bulk":
            for sid, pupil in self.pupils.items():
                if sid not in listed and not pupil.archived:
                    self._set(pupil, "pupil", sid, pupil.display_name, {"archived": True})
            for sid, member in self.staff.items():
                if sid not in listed and not member.mis_left and not self._is_acting(member):
                    self._set(member, "staff", sid, member.name, *self._roll(member, gone=True))

    def _roll(self, member: Staff, gone: bool) -> tuple[dict[str, bool], list[str]]:
        """What the MIS saying a member of staff has left (``gone``), or is listed, changes, and what the
        diff says of it. A leaver is deactivated and marked as having left (``mis_left``) even if they
        were never let in, so nobody gives them a first password. One listed again loses the mark but is
        not reactivated: an admin lets them back in, from the Staff screen."""
        if gone == member.mis_left:  # nothing new: a re-import of the same package changes nothing
            return {}, []
        if gone:
            notes = [] if member.active else ["could not sign in already: now marked as having left"]
            return {"active": False, "mis_left": True}, notes
        return {"mis_left": False}, ["listed again by your MIS: an admin can let them sign in from Staff"]

    def _is_acting(self, member: Staff) -> bool:
        """The admin running the import keeps their account: no package deactivates it."""
        return self.acting is not None and member.id is not None and member.id == self.acting.id

    def _pupil(self, row: Row, archived: bool) -> None:
        sid = row["sourcedId"]
        wanted = {"given_name": row["givenName"][:80], "family_name": row["familyName"][:80],
                  "preferred_name": (row["preferredGivenName"] or None) and row["preferredGivenName"][:80],
                  "year_group": _year_group(row["grades"]), "archived": archived}
        pupil = self.pupils.get(sid)
        if pupil is None:
            if archived:
                self._skip_disabled(row)
                return
            label = f"{wanted['preferred_name'] or wanted['given_name']} {wanted['family_name']}"
            self._change("pupil", "added", sid, label)
            self.new["pupil"][sid] = label
            if self.apply:
                pupil = Pupil(school_id=self.school.id, external_id=sid, peer_mediator=False, **wanted)
                db.session.add(pupil)
                self.pupils[sid] = pupil
            return
        self._set(pupil, "pupil", sid, pupil.display_name, wanted)

    def _staff(self, row: Row, roles: set[str], gone: bool) -> None:
        sid = row["sourcedId"]
        name = f"{row['preferredGivenName'] or row['givenName']} {row['familyName']}".strip()[:120]
        email = row["email"].lower()
        member = self.staff.get(sid)
        linked: list[str] = []  # one change per member of staff in the diff, whatever else changes
        if member is None and email:
            member = self._signs_in_with(email)  # of this school: _check_users refused any other
            if member is not None:
                linked = ["linked to the roster by email"]
                if member.external_id is not None:  # their sourcedId changed: the old one is not "no longer listed"
                    self.staff.pop(member.external_id, None)
                if self.apply:
                    member.external_id = sid
                self.staff[sid] = member
        if member is None:
            if gone:
                self._skip_disabled(row)
                return
            self._change("staff", "added", sid, name, [f"roles: {', '.join(sorted(roles))}", "added deactivated"])
            self.new["staff"][sid] = name
            if self.apply:
                member = Staff(school_id=self.school.id, external_id=sid, email=email, name=name, active=False,
                               session_epoch=0)
                member.password_hash = NO_PASSWORD
                member.set_roles(roles)
                db.session.add(member)
                self.staff[sid] = member
                if self.acting is not None:  # roles given are kept in the audit trail, whoever gives them
                    db.session.flush()
                    note_added(self.acting, member)
            return
        wanted: dict[str, object] = {"name": name, "email": email or member.email}
        on_roll, notes = ({}, []) if self._is_acting(member) else self._roll(member, gone)
        new_roles = roles - member.roles
        details = linked + notes + ([f"roles added: {', '.join(sorted(new_roles))}"] if new_roles else [])
        self._set(member, "staff", sid, member.name, wanted | on_roll, details)
        if self.apply and new_roles:
            before = sorted(member.roles)
            member.set_roles(member.roles | roles)
            if self.acting is not None:
                note_roles(self.acting, member, before)

    def _classes(self, rows: list[Row]) -> None:
        listed: set[str] = set()
        for row in rows:
            sid = row["sourcedId"]
            listed.add(sid)
            wanted = {"name": row["title"][:120], "kind": "tutor" if row["classType"] == "homeroom" else "class",
                      "archived": row["status"] == "tobedeleted"}
            group = self.groups.get(sid)
            if group is None:
                if wanted["archived"]:
                    continue
                self._change("group", "added", sid, wanted["name"])
                self.new["group"][sid] = wanted["name"]
                if self.apply:
                    group = Group(school_id=self.school.id, external_id=sid, **wanted)
                    db.session.add(group)
                    self.groups[sid] = group
                continue
            self._set(group, "group", sid, group.name, wanted)
        self.progress(len(rows))
        if self.package.modes.get("classes") == "bulk":
            for sid, group in self.groups.items():
                if sid not in listed and not group.archived:
                    self._set(group, "group", sid, group.name, {"archived": True})

    def _set(self, record, kind: str, sid: str, label: str, wanted: dict, details: list[str] | None = None) -> None:
        """Compare ``wanted`` with the record; note the change and (when applying) make it."""
        diffs = {k: v for k, v in wanted.items() if getattr(record, k) != v}
        details = list(details or [])
        if not diffs and not details:
            return
        archiving = diffs.get("archived") is True or diffs.get("active") is False or diffs.get("mis_left") is True
        action = "archived" if archiving else "changed"
        details += [f"{k.replace('_', ' ')}: {getattr(record, k)!r} → {v!r}" for k, v in diffs.items()
                    if k not in ("archived", "active", "mis_left")]
        self._change(kind, action, sid, label, details)
        if self.apply:
            self.renamed.setdefault((kind, record.id), label)
            for key, value in diffs.items():
                setattr(record, key, value)
            if diffs.get("active") is False:
                record.session_epoch += 1
            if diffs.get("mis_left") is True:  # who confirmed the import, or the command that ran it
                audit(self.acting, "deactivated", "staff", record.id, "roster import: your MIS says they have left",
                      school_id=self.school.id)

    def _ids(self, kind: str, records: dict, name: Callable) -> tuple[dict[str, object], dict[object, str]]:
        """sourcedId -> id of each record there is (or, in a dry run, will be), and id -> name for the
        diff. In a dry run a record still to be added has the stand-in id ``("new", sourcedId)``,
        which is in no current membership. A record this import renamed goes by its name before, as
        in the dry run, so the diff of a dry run and of the import it shows are the same."""
        planned = {} if self.apply else self.new[kind]
        ids: dict[str, object] = {sid: ("new", sid) for sid in planned}
        names: dict[object, str] = {("new", sid): label for sid, label in planned.items()}
        for sid, record in records.items():
            if record.id is not None:
                ids[sid], names[record.id] = record.id, self.renamed.get((kind, record.id), name(record))
        return ids, names

    def _enrollments(self, rows: list[Row]) -> None:
        group_ids, self.group_names = self._ids("group", self.groups, lambda group: group.name)
        pupil_ids, pupil_names = self._ids("pupil", self.pupils, lambda pupil: pupil.display_name)
        staff_ids, staff_names = self._ids("staff", self.staff, lambda member: member.name)
        existing = [gid for gid in group_ids.values() if isinstance(gid, int)]
        current_pupils = set(db.session.execute(
            select(GroupPupil.group_id, GroupPupil.pupil_id).where(GroupPupil.group_id.in_(existing))))
        current_staff = set(db.session.execute(
            select(GroupStaff.group_id, GroupStaff.staff_id).where(GroupStaff.group_id.in_(existing))))
        wanted_pupils: list = []
        wanted_staff: list = []
        drop_pupils: list = []
        drop_staff: list = []
        for row in rows:
            gid, usid = group_ids.get(row["classSourcedId"]), row["userSourcedId"]
            gone = row["status"] == "tobedeleted"
            if row["role"] == "student":
                key = (gid, pupil_ids.get(usid))
                (drop_pupils if gone else wanted_pupils).append((key, row))
            elif row["role"] in STAFF_ROLES:
                key = (gid, staff_ids.get(usid))
                (drop_staff if gone else wanted_staff).append((key, row))
            elif not gone:
                self._skip("enrollments.csv", row, "role", f"'{row['role']}' enrolments are not imported: only student, teacher, "
                                        "administrator and aide ones are.")
        self.progress(len(rows))
        self._members("pupil", GroupPupil, "pupil_id", current_pupils, wanted_pupils, drop_pupils, pupil_names)
        self._members("staff", GroupStaff, "staff_id", current_staff, wanted_staff, drop_staff, staff_names)

    def _skip(self, filename: str, row: Row, column: str, why: str) -> None:
        """Note a row of ``filename`` that is not imported, and why, for the diff."""
        self.plan.skipped.append(Problem(filename, row.line, column, why))

    def _skip_disabled(self, row: Row) -> None:
        """A new user the MIS has disabled is not added (one the package deletes was never here: no note)."""
        if row["status"] != "tobedeleted":
            self._skip("users.csv", row, "enabledUser",
                       f"'{row['sourcedId']}' is disabled in your MIS (enabledUser false), so is not added.")

    def _why_skipped(self, row: Row, who: str, gid) -> tuple[str, str]:
        """The column and the reason an enrolment of a ``pupil`` (or ``staff``) is not imported."""
        if gid is None:  # only a class classes.csv deletes before it was ever imported
            return "classSourcedId", (f"The class '{row['classSourcedId']}' is not imported (classes.csv deletes "
                                      "it), so neither is this enrolment.")
        usid, role = row["userSourcedId"], row["role"]
        held = self.roles.get(usid, set())
        kind = self._kind(usid, held)
        if kind is None:
            return "userSourcedId", _not_pupil_or_staff(usid, held)
        if kind != who:
            return "userSourcedId", (f"'{usid}' is {'a pupil' if kind == 'pupil' else 'a member of staff'}, so is "
                                     f"not enrolled as {role}.")
        return "userSourcedId", (f"'{usid}' is not imported (users.csv deletes or disables them), so neither is "
                                 "this enrolment.")

    def _members(self, who: str, table, column: str, current: set, wanted: list, drop: list,
                 names: dict[object, str]) -> None:
        """Add the wanted memberships, remove the dropped ones and, for a bulk file, every other
        membership of an imported class held by someone from the roster. ``names``: the roster's
        pupils (or staff) by id; members added by hand are not among them, so they stay."""
        add_rows, remove = [], set()
        details = ["staff"] if who == "staff" else []
        for (gid, mid), row in sorted(wanted, key=lambda item: item[1].line):
            if gid is None or mid is None:  # a class or user this import does not keep (a parent, say)
                self._skip("enrollments.csv", row, *self._why_skipped(row, who, gid))
                continue
            if (gid, mid) not in current:
                self._change("membership", "added", row["sourcedId"], names[mid], details, self.group_names[gid])
                if self.apply:
                    add_rows.append({"group_id": gid, column: mid})
                current.add((gid, mid))
        if self.package.modes.get("enrollments") == "bulk":
            keep = {key for key, _ in wanted}
            remove = {pair for pair in current if pair not in keep and pair[1] in names}
        remove |= {key for key, _ in drop if key in current}
        for gid, mid in sorted(remove):
            self._change("membership", "removed", f"{gid}:{mid}", names[mid], details, self.group_names[gid])
        if self.apply:
            if add_rows:
                db.session.execute(insert(table), add_rows)
            for gid, mid in remove:
                db.session.execute(delete(table).where(table.group_id == gid, getattr(table, column) == mid))


def _not_pupil_or_staff(sid: str, held: set[str]) -> str:
    """Why a user (a parent, a counselor) is not imported: by sourcedId and role, never by name."""
    return f"'{sid}' is not a pupil or member of staff (role: {', '.join(sorted(held))}), so is not imported."


def _leaving(row: Row) -> bool:
    """The users.csv row deletes the user or the MIS has disabled them: a pupil is archived, a member
    of staff deactivated (and neither is added)."""
    return row["status"] == "tobedeleted" or row["enabledUser"] == "false"


def _year_group(grades: str) -> str | None:
    """OneRoster grades ('05', 'Y5', 'Year 5') as the year group the school uses ('Year 5')."""
    first = grades.split(",")[0].strip()
    digits = re.fullmatch(r"(?:Y|Year\s*)?0*(\d{1,2})", first, re.IGNORECASE)
    if digits:
        return f"Year {int(digits.group(1))}"
    return first[:20] or None
