"""Live circle screens: render every device's fragments once per change, publish, stream.

As a change commits, the changing request reads the circle once, renders the keeper's
regions and each distinct participant view (holder / watching / waiting, check-in to do /
done, agreements to agree to) once, and publishes them together as JSON on ``circle:<id>``.
Each device's stream then picks its own fragments from the message - no database work per
device per change - and sends only the regions whose HTML changed for that device, so a
word being typed in another region is never wiped.
"""
import json
import re
from collections import OrderedDict
from dataclasses import dataclass

from flask import current_app, render_template, request, session, url_for
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms.validators import Length

from rrp_pwa.circles import talking_piece as piece
from rrp_pwa.circles.activities import checkin_counts, circle_agreements, current_round, school_scale
from rrp_pwa.extensions import db
from rrp_pwa.models import Agreement, CheckIn
from rrp_pwa.models.checkins import as_utc
from rrp_pwa.models.circles import Circle, CircleCheckIn, CircleRound, Seat
from rrp_pwa.realtime import Message, broker
from rrp_pwa.realtime.sse import event_stream, sse_response

KEEPER_REGIONS = ("k-notice", "k-waiting", "k-piece", "k-seats", "k-round", "k-agreements", "k-who", "k-concern-who")
SEAT_REGIONS = ("p-piece", "p-round", "p-agreements")
INDENT = re.compile(r"\n\s+")
REFUSAL_KEY = "circle_refusal"
FORM_KEPT_KEY = "circle_form_kept"
UNMEASURED_KEPT = 40  # characters of a kept field with no Length: a choice's value or a date
# A kept form's share of the session cookie: the longest text in Chinese comes back whole; the sign-in
# and CSRF token take about 320 bytes more, well under the 4,096 a browser keeps.
KEPT_COOKIE_BYTES = 2800
TOO_LONG_TO_KEEP = "What was typed was too long to bring back here: please type it again."
# The keeper's seat list is its rows (``circles/_k_seat.html``, each swapped on its own as the piece
# moves) in circle order, each in an item that listens for its own row's event.
SEAT_LIST = '<ol class="seats" aria-label="Seats in circle order">\n{}</ol>'
SEAT_ITEM = '<li id="k-seat-{0}" sse-swap="k-seat-{0}" hx-swap="morph:innerHTML settle:0ms">{1}</li>\n'


def channel(circle_id: int) -> str:
    return f"circle:{circle_id}"


@dataclass
class Snapshot:
    """Everything the circle's screens show at one version."""

    circle: Circle
    ring: list[Seat]
    waiting: list[Seat]
    holder: Seat | None
    following: Seat | None
    taken: dict[int, list[str]]
    round: CircleRound | None
    lap_complete: bool
    scale: object
    counts: list[dict]
    checkins: dict[int, CheckIn]
    agreements: list[Agreement]
    left: list[Seat]
    left_lately: list[Seat]

    @property
    def keeper_name(self) -> str:
        """Who keeps the circle, as pupils are told it (never "your teacher": a midday assistant or a
        mentor keeps circles too): the keeper's seat's name, which pupils see as the piece goes round."""
        return next((s.name for s in self.ring if s.is_keeper), "the adult keeping the circle")

    def turn_of(self, seat: Seat) -> str:
        kinds = self.taken.get(seat.id, [])
        return "spoke" if "pass" in kinds else ("passed" if kinds else "")


def snapshot(circle: Circle) -> Snapshot:
    seats, taken, has_agreements, left, left_ids, let_in_this_lap = (piece.known_at_version(circle)
                                                                    or piece.seats_and_turns(circle))
    ring = [s for s in seats if s.status == "admitted"]
    here = {s.name for s in seats}  # someone who left and has joined again is back: no notice for them
    # in the order they left; those who left before being let in (no time kept) after them
    left_lately = sorted((s for s in left if s.id in left_ids and s.name not in here),
                         key=lambda s: (s.left_at is None, as_utc(s.left_at) if s.left_at else 0, s.id))
    # as_utc: a seat just added carries an aware time, one read back from SQLite a naive one
    waiting = sorted((s for s in seats if s.status == "waiting"), key=lambda s: (as_utc(s.joined_at), s.id))
    holder = next((s for s in ring if s.id == circle.holder_seat_id), None)
    following = None
    if holder is not None:
        after = {**taken, holder.id: taken.get(holder.id, []) + ["pass"]}
        following = piece.next_in_turn(ring, holder.position, circle.direction, after)
    this_round = current_round(circle)
    checkins: dict[int, CheckIn] = {}
    counts: list[dict] = []
    if this_round is not None and this_round.kind == "checkin":
        rows = db.session.execute(select(CircleCheckIn.seat_id, CheckIn).join(CheckIn, CheckIn.id == CircleCheckIn.checkin_id)
                                  .where(CircleCheckIn.circle_id == circle.id, CircleCheckIn.round_no == circle.round_no))
        checkins = {seat_id: checkin for seat_id, checkin in rows}
        counts = checkin_counts(circle, circle.round_no)
    return Snapshot(circle, ring, waiting, holder, following, taken, this_round,
                    circle.lap > 0 and not taken and not let_in_this_lap, school_scale(circle), counts, checkins,
                    circle_agreements(circle) if has_agreements else [], left, left_lately)


def _parties(agreement: Agreement, seat: Seat) -> list:
    return [p for p in agreement.parties if (seat.pupil_id and p.pupil_id == seat.pupil_id)
            or (not seat.pupil_id and not p.pupil_id and p.name == seat.name)]


def _pending(agreement: Agreement, seat: Seat) -> bool:
    return any(p.agreed_at is None for p in _parties(agreement, seat))


def _agreed(agreement: Agreement, seat: Seat) -> bool:
    parties = _parties(agreement, seat)
    return bool(parties) and all(p.agreed_at is not None for p in parties)


def seat_keys(snap: Snapshot, seat: Seat) -> dict[str, str]:
    """Which variant of each participant region this seat sees.

    A seat the keeper has not let in sees only that it is waiting: anyone with the join link can take
    one, so nothing of the circle (its question, its agreements and who they name) reaches it."""
    if seat.status == "waiting":
        return {"p-piece": "waiting", "p-round": "waiting", "p-agreements": "waiting"}
    piece_key = "watch"
    if snap.holder and snap.holder.id == seat.id:
        piece_key = "offered-again" if snap.taken.get(seat.id) == ["skip"] else "holder"
    elif snap.following and snap.following.id == seat.id:
        piece_key = "next"  # "You're next", not their own name as if about someone else
    round_key = "none"
    if snap.round is not None and snap.round.kind == "checkin":
        round_key = "done" if seat.id in snap.checkins else "todo"
    pending = ",".join(str(a.id) for a in snap.agreements if _pending(a, seat))
    agreed = ",".join(str(a.id) for a in snap.agreements if _agreed(a, seat))  # each says "You agreed"
    return {"p-piece": piece_key, "p-round": round_key, "p-agreements": f"a{pending}/{agreed}" if agreed else f"a{pending}"}


class LRU(OrderedDict):
    """A small least-recently-used map: rendered states and fragments of this process."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def get_or_make(self, key, make):
        if key in self:
            self.move_to_end(key)
            return self[key]
        value = self[key] = make()
        while len(self) > self.size:
            self.popitem(last=False)
        return value


# A live circle of 31 keeps about 41 fragments in use (its seat rows and regions), and every pass adds a
# few; fewer places than the circles a worker serves need, and a pass renders its rows again instead of
# finding them (130 circles in 4,096 places: half of all lookups missed). 16,384 (~1 KB each) holds
# about 300 live circles a worker.
FRAGMENTS_KEPT = 16384


def _caches() -> tuple[LRU, LRU]:
    caches = current_app.extensions.get("rrp_circle_caches")
    if caches is None:
        caches = current_app.extensions["rrp_circle_caches"] = (LRU(256), LRU(FRAGMENTS_KEPT))
    return caches


def _seat_list(seats: list[Seat]) -> tuple:
    return tuple((s.id, s.name) for s in seats)


def _fragment(name: str, cache_key: tuple | None, **context) -> str:
    """Render ``circles/_<name>.html``; with a ``cache_key`` that fixes every input, once per process."""
    def make():  # straight through Jinja: fragments use no context processors, and skipping them is cheaper
        html = current_app.jinja_env.get_template(f"circles/_{name}.html").render(**context)
        return INDENT.sub("\n", html).strip()
    return make() if cache_key is None else _caches()[1].get_or_make((name, *cache_key), make)


def _circle_key(circle: Circle) -> tuple:
    """Which circle a kept fragment belongs to: its id and when it was opened, as for the state
    (SQLite gives a new circle the id of a deleted one, and its agreements and seats their ids)."""
    return circle.id, circle.created_at.isoformat()


def _region_keys(snap: Snapshot) -> dict[str, tuple]:
    """What each region's HTML depends on, for regions that do not change when the piece moves."""
    c = snap.circle
    circle = _circle_key(c)
    ring, waiting = _seat_list(snap.ring), _seat_list(snap.waiting)
    agreements = tuple((a.id, tuple((p.id, p.agreed_at is not None) for p in a.parties)) for a in snap.agreements)
    round_id = (snap.round.id, snap.round.kind) if snap.round else None  # (a pupil never sees the counts)
    notice = tuple((s.id, s.name, s.left_at is not None) for s in snap.left_lately)
    out = tuple((s.id, s.name, s.left_at is not None) for s in snap.left)  # took part, or never let in
    return {"k_notice": (circle, notice), "k_waiting": (circle, c.auto_admit, waiting), "k_who": (circle, ring),
            "k_concern_who": (circle, ring, waiting, out), "k_agreements": (circle, agreements),
            "p_agreements": (circle, agreements), "p_round": (circle, round_id, snap.keeper_name)}


def _seat_row_key(snap: Snapshot, seat: Seat, index: int) -> tuple:
    """A seat's row in the keeper's ring changes only when one of these does (not on every pass)."""
    holds = snap.holder is not None and snap.holder.id == seat.id
    is_next = not holds and snap.following is not None and snap.following.id == seat.id
    return (_circle_key(snap.circle), seat.id, seat.name, seat.is_keeper, holds, is_next, snap.turn_of(seat),
            index == 0, index == len(snap.ring) - 1)


def concern_choices(circle: Circle) -> str:
    """The "Who is it about?" options for a circle, open or closed (a closed circle's state has no
    keeper regions, but a concern about someone who was in it must still reach the DSL)."""
    return _fragment("k_concern_who", None, s=snapshot(circle), base=url_for("circles.keeper", circle_id=circle.id))


def render_state(circle: Circle) -> dict:
    """All fragments of one version, as published: the keeper's regions and each participant variant.

    A version never changes once committed, so the whole state is kept per (circle, opened, version)
    and a device that connects, polls or is refused gets it without rendering again.
    """
    return _caches()[0].get_or_make(_state_key(circle), lambda: _render_state(circle))


def _state_key(circle: Circle) -> tuple:
    return circle.id, circle.created_at.isoformat(), circle.version


def _render_state(circle: Circle) -> dict:
    if not circle.is_open:
        return {"v": circle.version, "state": "closed",
                "end_html": _fragment("p_closed", ("closed",), removed=False),
                "keeper_end_html": _fragment("k_closed", None,
                                             summary_url=url_for("circles.summary", circle_id=circle.id),
                                             part_url=url_for("circles.keeper_part", circle_id=circle.id,
                                                              region="k-notice"))}
    snap = snapshot(circle)
    base = url_for("circles.keeper", circle_id=circle.id)
    rows = [(seat.id, Markup(_fragment("k_seat", key, seat=seat, base=base, holds=key[4], is_next=key[5],
                                       turn=key[6], first=key[7], last=key[8])))
            for seat, key in ((seat, _seat_row_key(snap, seat, n)) for n, seat in enumerate(snap.ring))]
    region_keys = _region_keys(snap)
    keeper = {}
    for region in KEEPER_REGIONS:
        name = region.replace("-", "_")
        # the seat list keeps its place among the regions; it is joined from the rows just below
        keeper[region] = "" if region == "k-seats" else _fragment(name, region_keys.get(name), s=snap, base=base)
    keeper.update((f"k-seat-{seat_id}", str(row)) for seat_id, row in rows)
    ring_ids = [seat_id for seat_id, _ in rows]
    keeper["k-seats"] = seat_list(ring_ids, keeper)
    parts: dict[str, dict[str, str]] = {region: {} for region in SEAT_REGIONS}
    seats: dict[str, dict[str, str]] = {}
    for seat in snap.ring + snap.waiting:
        if seat.is_keeper:
            continue
        keys = seat_keys(snap, seat)
        seats[str(seat.id)] = keys
        for region, key in keys.items():
            if key not in parts[region]:
                name = region.replace("-", "_")
                cache_key = region_keys[name] + (key,) if name in region_keys else None
                parts[region][key] = _fragment(name, cache_key, s=snap, key=key, base=base)
    return {"v": circle.version, "state": "open", "keeper": keeper, "parts": parts, "seats": seats,
            "ring": ring_ids, "sigs": {"k-seats": repr(_seat_list(snap.ring))},
            "end_html": _fragment("p_closed", ("removed", snap.keeper_name), keeper_name=snap.keeper_name, removed=True)}


def seat_list(ring_ids: list[int], keeper: dict[str, str]) -> str:
    """The keeper's seat list from its rows: a join, no template, so that every worker can put it
    together again from a published message, which carries each row only once."""
    return SEAT_LIST.format("".join(SEAT_ITEM.format(seat_id, keeper[f"k-seat-{seat_id}"]) for seat_id in ring_ids))


def wire_state(state: dict) -> str:
    """A state as published: JSON, the keeper's seat list left empty (``decode`` rebuilds it)."""
    if "keeper" not in state:
        return json.dumps(state)
    return json.dumps({**state, "keeper": {**state["keeper"], "k-seats": ""}})


def commit_and_publish(circle: Circle) -> dict:
    """Commit the change to the circle, then send its new state to every device of the circle.

    The state is rendered inside the transaction, just before the commit: the change's version bump
    holds the circle's row until then (and made the session forget what it read before), so no
    other change can slip in and what is rendered is exactly what the commit makes visible - and
    nothing has to be read again after it, each read being a round trip on PostgreSQL. It joins
    this process's cache only once the commit succeeds.
    """
    db.session.flush()
    key, state = _state_key(circle), _render_state(circle)
    db.session.commit()
    _caches()[0].get_or_make(key, lambda: state)
    data = wire_state(state)
    _decoded.get_or_make(data, lambda: state)  # this process's streams need not parse what it has
    broker().publish(channel(key[0]), Message("change", data, str(state["v"])))
    return state


def pupils_in(state: dict) -> bool:
    """Whether anyone besides the keeper has been let into the circle (a seat waiting is not in yet)."""
    return any(keys["p-piece"] != "waiting" for keys in state.get("seats", {}).values())


def seat_fragment(state: dict, seat_id: int, region: str) -> str:
    """One participant region from a rendered state (the closed/removed panel if the seat has no place)."""
    keys = state.get("seats", {}).get(str(seat_id))
    if state["state"] != "open" or keys is None:
        return state["end_html"] if region == "p-piece" else ""
    return state["parts"][region][keys[region]]


_decoded = LRU(64)


def decode(data: str) -> dict:
    """The same published message reaches every stream of the circle: parse it once (not at all in
    the process that published it)."""
    return _decoded.get_or_make(data, lambda: read_wire(data))


def read_wire(data: str) -> dict:
    """A published state as another worker reads it (``wire_state`` undone)."""
    state = json.loads(data)
    if "keeper" in state:
        state["keeper"]["k-seats"] = seat_list(state["ring"], state["keeper"])
    return state


class DeviceStream:
    """What one device receives: its regions, only when they change, until the circle ends for it."""

    def __init__(self, state: dict, seat_id: int | None, shown_version: int | None = None) -> None:
        """``shown_version``: the version the page that opens this stream was rendered at. If the
        circle is still there, the page already shows every region and nothing goes first: swapping
        the whole state in again would only cost a phone's CPU as the page loads (a long task of
        seconds on the keeper's screen of a class's circle)."""
        self.seat_id = seat_id
        self.sent: dict[str, str] = {}
        self.version = 0
        self.initial = list(self.messages(state))
        if shown_version == state["v"]:
            self.initial = []

    def regions(self, state: dict) -> dict[str, str]:
        if self.seat_id is None:
            if state["state"] != "open":  # closed on another of the keeper's devices: this one is told at once
                return {"k-notice": state.get("keeper_end_html", "")}
            return state.get("keeper", {})
        return {region: seat_fragment(state, self.seat_id, region) for region in SEAT_REGIONS}

    def messages(self, state: dict):
        """Changed regions only; a state older than one already shown is dropped (two requests may
        commit in one order and publish in the other)."""
        if state["v"] < self.version:
            return
        self.version = state["v"]
        signatures = state.get("sigs", {}) if self.seat_id is None else {}
        for region, html in self.regions(state).items():
            marker = signatures.get(region, html)  # the seat list is resent only when the seats change
            if self.sent.get(region) != marker:
                self.sent[region] = marker
                yield Message(region, html, str(state["v"]))

    def transform(self, message: Message):
        return list(self.messages(decode(message.data))) if message.event == "change" else []

    def ended(self, message: Message) -> bool:
        if message.event != "change":
            return False
        state = decode(message.data)
        return state["state"] != "open" or (self.seat_id is not None and str(self.seat_id) not in state["seats"])


def keep_refusal(circle_id: int, region: str, message: str, notice: bool = False) -> None:
    """A change refused to a plain form POST (a control tapped before the page's scripts ran): kept for
    the page the POST is redirected to, which shows it above the region, as the htmx answer would.
    ``notice``: a polite word rather than a refusal (a tap that came before the screen was ready)."""
    session[REFUSAL_KEY] = {"circle": circle_id, "region": region, "message": message, "notice": notice}


def with_refusal(circle_id: int, regions: dict[str, Markup]) -> dict[str, Markup]:
    """A screen's regions, with the refusal kept for this circle (if any) above its region; shown once."""
    if REFUSAL_KEY not in session:  # (a pop would mark every page's session as changed)
        return regions
    refusal = session.pop(REFUSAL_KEY)
    if refusal["circle"] != circle_id or refusal["region"] not in regions:
        return regions
    region = refusal["region"]
    shown = Markup(render_template("circles/_refusal.html", message=refusal["message"], notice=refusal.get("notice")))
    return {**regions, region: shown + regions[region]}


def keep_form(circle: Circle, form, ticked: list[str]) -> None:
    """A keeper's form refused (Start the round with no question, an agreement with nobody named): what
    was typed and why, kept for the keeper's screen the POST is redirected to, so that reloading it shows
    the screen again - not "Method Not Allowed" for the refused POST's address - and nothing typed is lost.

    It travels in the session cookie (signed, not encrypted, and dropped by a browser past 4 KB), so it
    holds only what the form shows: its declared fields, one value each, cut to the field's Length
    maximum (``kept_length``), and of the seats ticked (``ticked``) those in the circle now. Nothing else
    sent with it - never a concern's note: what a child said about their safety does not go into a cookie.
    A text pasted far over its limit is refused for its length and comes back cut to it. Text that would
    still not fit in ``KEPT_COOKIE_BYTES`` (only hundreds of rare symbols, as no school writes) is not
    kept, and the form says so, rather than a cookie the browser drops and the reasons lost with it."""
    in_circle = {str(seat_id) for seat_id in render_state(circle).get("ring", [])}
    kept = {"circle": circle.id, "form": type(form).__name__,
            "entries": [[field.name, field.raw_data[0][:kept_length(field)]] for field in form
                        if field.name != "csrf_token" and field.raw_data and isinstance(field.raw_data[0], str)],
            "ticked": sorted(in_circle.intersection(ticked), key=int),
            "errors": {name: list(errors) for name, errors in form.errors.items() if name in form},
            "form_errors": list(form.form_errors)}  # e.g. who an agreement is for: said at the top of the form
    if len(current_app.session_interface.get_signing_serializer(current_app).dumps(kept)) > KEPT_COOKIE_BYTES:
        kept["entries"] = [[name, value] for name, value in kept["entries"] if len(value) <= UNMEASURED_KEPT]
        kept["form_errors"].append(TOO_LONG_TO_KEEP)
    session[FORM_KEPT_KEY] = kept


def kept_length(field) -> int:
    """The most of a field's value a kept form holds: its Length maximum; a field without one (a choice,
    a date) holds a short word, and ``UNMEASURED_KEPT`` characters are plenty for it."""
    return min((v.max for v in field.validators if isinstance(v, Length) and v.max >= 0), default=UNMEASURED_KEPT)


def kept_form(circle_id: int, **form_classes) -> tuple[dict, list[int]]:
    """The form just refused on this circle's screen, as the keeper left it with the reasons by its
    fields, under its name in ``form_classes`` (``round_form=RoundForm``), and the seats it had ticked;
    shown once. The first keeper screen shown takes it out of the session, whatever circle it was for:
    it is in the cookie only for the redirect it was kept for."""
    kept = forget_kept_form()
    name = next((name for name, form_class in form_classes.items() if kept and form_class.__name__ == kept["form"]), None)
    if name is None or kept["circle"] != circle_id:
        return {}, []
    form = form_classes[name](formdata=MultiDict(kept["entries"]))
    for field, errors in kept["errors"].items():
        form[field].errors = errors
    form.form_errors = kept.get("form_errors", [])
    return {name: form}, [int(seat_id) for seat_id in kept.get("ticked", [])]


def forget_kept_form() -> dict | None:
    """Take the refused form kept for the keeper's screen out of the session (None if there is none)."""
    if FORM_KEPT_KEY not in session:  # (a pop would mark every page's session as changed)
        return None
    return session.pop(FORM_KEPT_KEY)


def who_choices(circle: Circle, ticked: list[int]) -> str:
    """Who an action agreement is for, with ``ticked`` ticked: the refused agreement's choice, rendered
    for this one page (the cached ``k-who`` every keeper device shares is never anyone's choice)."""
    return _fragment("k_who", None, s=snapshot(circle), base=url_for("circles.keeper", circle_id=circle.id),
                     ticked=ticked)


def page_version() -> int | None:
    """The version the page opening a stream shows (its URL's ``v``); None for a device reconnecting
    with Last-Event-ID, which may have missed some of a version's regions as its stream broke."""
    if request.headers.get("Last-Event-ID"):
        return None
    return request.args.get("v", type=int)


def stream(circle: Circle, seat_id: int | None, shown_version: int | None = None):
    """An SSE response for the keeper (``seat_id`` None) or one seat; the current state goes first,
    unless the page opening the stream was rendered at the current version (``shown_version``, the
    ``v`` of the stream's URL; a device reconnecting with Last-Event-ID always gets the state).

    The database session is released before streaming: a stream never holds a connection.
    """
    subscription = broker().subscribe(channel(circle.id))
    device = DeviceStream(render_state(circle), seat_id, shown_version)
    db.session.remove()
    return sse_response(event_stream(subscription, device.initial, transform=device.transform,
                                     stop_after=device.ended))
