"""Roster packages an admin has checked (the diff) and not yet confirmed, kept in the database.

Rules:
- The package waits in the database, never on one machine's disk, so the confirm may reach any
  worker on any machine.
- The confirm applies exactly the bytes that were checked: their SHA-256 is kept beside them and a
  package that no longer matches it is refused. Taking a package deletes it in the confirming
  transaction, so two confirms of one package import it once.
- The confirm makes exactly the changes the admin was shown: the fingerprint of the diff is kept
  beside the package, and if the roster changed after the check (another import, an edit by hand)
  so that the import would do something else, nothing is imported and the package still waits for
  the admin to check the new diff (RosterChanged).
- A package holds a whole roster (children's personal data), so it never outlives its use: it is
  deleted when confirmed, refused, or replaced by a newer check, even one of a package that
  changes nothing (a school has one package waiting at most), and every
  package checked more than PENDING_FOR ago is purged whenever a package is checked or confirmed
  and by each round of ``flask deliver-webhooks``.
- Confirms and command-line imports of one school run one after the other (``lock_roster``), so
  two at once never both import, nor fail with a server error.
- A package is at most MAX_PACKAGE_BYTES, the most the upload form takes.
"""
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import delete
from sqlalchemy.orm import defer

from rrp_pwa.extensions import db
from rrp_pwa.models import School, Staff
from rrp_pwa.models.checkins import as_utc
from rrp_pwa.models.roster import utcnow
from rrp_pwa.models.sync import PendingImport
from rrp_pwa.sync.oneroster import ImportPlan, import_roster, lock_roster
from rrp_pwa.tenancy import scoped

PENDING_FOR = timedelta(hours=1)
MAX_PACKAGE_BYTES = 16 * 1024 * 1024


class UploadGone(Exception):
    """No package waits under that token for this school (already imported, replaced, changed,
    or checked by another school)."""


class UploadExpired(UploadGone):
    """The package was checked more than PENDING_FOR ago: it may no longer be imported (drop it with
    forget_pending)."""


class PackageTooLarge(ValueError):
    """The package is larger than MAX_PACKAGE_BYTES."""


class RosterChanged(Exception):
    """The roster changed after the check: importing the package now would not make the changes the
    admin was shown. The caller rolls back (nothing is imported; the package waits again) and shows
    the diff of ``package`` against the roster as it is now."""

    def __init__(self, package: bytes):
        super().__init__("The roster changed after the package was checked.")
        self.package = package


class Checked(NamedTuple):
    """A package taken for its confirm: its bytes and the fingerprint of the diff shown at its check."""

    package: bytes
    diff_digest: str | None


def _digest(package: bytes) -> str:
    return hashlib.sha256(package).hexdigest()


def _delete(*where) -> int:
    """Delete the packages matching ``where``; return how many. The session's objects are left alone
    (SQLite's naive times cannot be compared with an aware cutoff in Python)."""
    statement = delete(PendingImport).where(*where).execution_options(synchronize_session=False)
    return db.session.execute(statement).rowcount


def keep_pending(school_id: int, package: bytes, diff_digest: str, now: datetime | None = None) -> str:
    """Keep the checked package, and the fingerprint of the diff shown (ImportPlan.fingerprint), until
    the admin confirms it; return the token that names it.

    It replaces any package the school had waiting, and expired packages of every school are purged.
    """
    if len(package) > MAX_PACKAGE_BYTES:
        raise PackageTooLarge
    now = now or utcnow()
    purge_expired(now)
    _delete(PendingImport.school_id == school_id)
    token = secrets.token_urlsafe(24)
    db.session.add(PendingImport(school_id=school_id, token=token, checked_at=now, digest=_digest(package),
                                 package=package, diff_digest=diff_digest))
    return token


def waiting_import(school_id: int, now: datetime | None = None, with_package: bool = False) -> PendingImport | None:
    """The package this school checked and has neither confirmed nor cancelled, while it may still be
    confirmed (checked less than PENDING_FOR ago): what the import page offers to go back to, so an admin
    who left the diff finds it again. Its bytes are read only ``with_package``."""
    cutoff = (now or utcnow()) - PENDING_FOR
    query = scoped(PendingImport, school_id).where(PendingImport.checked_at >= cutoff)
    if not with_package:
        query = query.options(defer(PendingImport.package))
    return db.session.scalar(query.order_by(PendingImport.checked_at.desc()).limit(1))


def confirm_by(pending: PendingImport) -> datetime:
    """When the package stops waiting: PENDING_FOR after it was checked."""
    return as_utc(pending.checked_at) + PENDING_FOR


def take_pending(school_id: int, token: str, now: datetime | None = None) -> Checked:
    """Delete the package waiting under ``token`` for this school and return its bytes and the fingerprint
    of its diff, in the caller's transaction (a rollback puts it back: call forget_pending to drop it
    for good).

    Raise UploadExpired if it was checked more than PENDING_FOR ago, UploadGone if this school has
    none under that token, another transaction took it first, or its bytes changed since the check.
    """
    now = now or utcnow()
    pending = db.session.scalar(scoped(PendingImport, school_id).where(PendingImport.token == token))
    if pending is None:
        raise UploadGone
    package, digest, checked_at = pending.package, pending.digest, as_utc(pending.checked_at)
    diff_digest = pending.diff_digest
    taken = _delete(PendingImport.school_id == school_id, PendingImport.id == pending.id)
    db.session.expunge(pending)
    purge_expired(now)
    if taken != 1:
        raise UploadGone
    if now - checked_at > PENDING_FOR:
        raise UploadExpired
    if not hmac.compare_digest(_digest(package), digest):
        raise UploadGone
    return Checked(package, diff_digest)


def confirm_pending(school: School, token: str, acting: Staff | None = None,
                    now: datetime | None = None) -> ImportPlan:
    """Import the package waiting under ``token``, in the caller's transaction, only if the import
    makes exactly the changes shown at its check (the same diff fingerprint).

    The import itself is compared, not a second dry run before it, so a change to the roster made
    between such a dry run and the import cannot slip through. Raise RosterChanged when it differs
    (the caller rolls back), besides take_pending's errors and OneRosterInvalid (the roster changed
    so that the package now breaks a rule).

    The school's roster is locked first (``lock_roster``): a confirm racing another import waits for
    it, then takes the package, so it finds it gone (UploadGone: the same package, confirmed twice)
    or the roster changed (RosterChanged); RosterBusy if that import takes too long (nothing taken).
    """
    lock_roster(school.id)
    package, shown = take_pending(school.id, token, now)
    plan = import_roster(school, package, apply=True, acting=acting)
    if shown is None or not hmac.compare_digest(plan.fingerprint(), shown):
        raise RosterChanged(package)
    return plan


def forget_waiting(school_id: int, now: datetime | None = None) -> None:
    """Drop whatever package this school has waiting (a newer check that changes nothing replaces it
    too), and purge expired ones."""
    _delete(PendingImport.school_id == school_id)
    purge_expired(now or utcnow())


def forget_pending(school_id: int, token: str, now: datetime | None = None) -> None:
    """Drop this school's package under ``token`` (a refused confirm), and purge expired ones."""
    _delete(PendingImport.school_id == school_id, PendingImport.token == token)
    purge_expired(now or utcnow())


def purge_expired(now: datetime | None = None) -> int:
    """Delete every school's packages checked more than PENDING_FOR ago; return how many."""
    cutoff = (now or utcnow()) - PENDING_FOR
    return _delete(PendingImport.checked_at < cutoff)


def remove_instance_uploads(instance_path: str) -> None:
    """Delete packages an older release kept in this machine's ``instance/oneroster`` folder."""
    folder = Path(instance_path) / "oneroster"
    if not folder.is_dir():
        return
    for path in folder.glob("*.zip"):
        path.unlink(missing_ok=True)
    try:
        folder.rmdir()
    except OSError:
        pass
