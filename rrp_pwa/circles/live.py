"""Live circle screens: render every device's fragments once per change, publish, stream.

After a change commits, the publishing request reads the circle once, renders the keeper's
regions and each distinct participant view (holder / watching / waiting, check-in to do /
done, agreements to agree to) once, and publishes them together as JSON on ``circle:<id>``.
Each device's stream then picks its own fragments from the message - no database work per
device per change - and sends only the regions whose HTML changed for that device, so a
word being typed in another region is never wiped.
"""
import json
from dataclasses import dataclass
from functools import lru_cache

from flask import render_template
from sqlalchemy import select

from rrp_pwa.circles import talking_piece as piece
from rrp_pwa.circles.activities import checkin_counts, circle_agreements, current_round, school_scale
from rrp_pwa.extensions import db
from rrp_pwa.models import Agreement, CheckIn
from rrp_pwa.models.circles import Circle, CircleCheckIn, CircleRound, Seat
from rrp_pwa.realtime import Message, broker
from rrp_pwa.realtime.sse import event_stream, sse_response

KEEPER_REGIONS = ("k-waiting", "k-ring", "k-round", "k-agreements", "k-who", "k-concern-who")
SEAT_REGIONS = ("p-piece", "p-round", "p-agreements")


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

    def turn_of(self, seat: Seat) -> str:
        kinds = self.taken.get(seat.id, [])
        return "spoke" if "pass" in kinds else ("passed" if kinds else "")


def snapshot(circle: Circle) -> Snapshot:
    ring = piece.ring(circle)
    waiting = list(db.session.scalars(select(Seat).where(Seat.circle_id == circle.id, Seat.status == "waiting")
                                      .order_by(Seat.joined_at, Seat.id)))
    holder = next((s for s in ring if s.id == circle.holder_seat_id), None)
    taken = piece.turns(circle)
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
                    circle.lap > 0 and not taken, school_scale(circle), counts, checkins, circle_agreements(circle))


def _pending(agreement: Agreement, seat: Seat) -> bool:
    return any(p.agreed_at is None and ((seat.pupil_id and p.pupil_id == seat.pupil_id)
                                        or (not seat.pupil_id and not p.pupil_id and p.name == seat.name))
               for p in agreement.parties)


def seat_keys(snap: Snapshot, seat: Seat) -> dict[str, str]:
    """Which variant of each participant region this seat sees."""
    if seat.status == "waiting":
        piece_key = "waiting"
    else:
        piece_key = "holder" if snap.holder and snap.holder.id == seat.id else "watch"
    round_key = "none"
    if snap.round is not None and snap.round.kind == "checkin" and seat.status == "admitted":
        round_key = "done" if seat.id in snap.checkins else "todo"
    pending = [str(a.id) for a in snap.agreements if _pending(a, seat)]
    return {"p-piece": piece_key, "p-round": round_key, "p-agreements": "a" + ",".join(pending)}


def render_state(circle: Circle) -> dict:
    """All fragments of one version, as published: the keeper's regions and each participant variant."""
    if not circle.is_open:
        return {"v": circle.version, "state": "closed",
                "end_html": render_template("circles/_p_closed.html", circle=circle, removed=False)}
    snap = snapshot(circle)
    keeper = {region: render_template(f"circles/_{region.replace('-', '_')}.html", s=snap) for region in KEEPER_REGIONS}
    parts: dict[str, dict[str, str]] = {region: {} for region in SEAT_REGIONS}
    seats: dict[str, dict[str, str]] = {}
    for seat in snap.ring + snap.waiting:
        if seat.is_keeper:
            continue
        keys = seat_keys(snap, seat)
        seats[str(seat.id)] = keys
        for region, key in keys.items():
            if key not in parts[region]:
                parts[region][key] = render_template(f"circles/_{region.replace('-', '_')}.html", s=snap, key=key)
    return {"v": circle.version, "state": "open", "keeper": keeper, "parts": parts, "seats": seats,
            "end_html": render_template("circles/_p_closed.html", circle=circle, removed=True)}


def publish(circle: Circle) -> dict:
    """Render the committed state once and send it to every device of the circle."""
    state = render_state(circle)
    broker().publish(channel(circle.id), Message("change", json.dumps(state), str(state["v"])))
    return state


def seat_fragment(state: dict, seat_id: int, region: str) -> str:
    """One participant region from a rendered state (the closed/removed panel if the seat has no place)."""
    keys = state.get("seats", {}).get(str(seat_id))
    if state["state"] != "open" or keys is None:
        return state["end_html"] if region == "p-piece" else ""
    return state["parts"][region][keys[region]]


@lru_cache(maxsize=64)
def decode(data: str) -> dict:
    """The same published message reaches every stream of the circle: parse it once."""
    return json.loads(data)


class DeviceStream:
    """What one device receives: its regions, only when they change, until the circle ends for it."""

    def __init__(self, state: dict, seat_id: int | None) -> None:
        self.seat_id = seat_id
        self.sent: dict[str, str] = {}
        self.initial = list(self.messages(state))

    def regions(self, state: dict) -> dict[str, str]:
        if self.seat_id is None:
            return state.get("keeper", {})
        return {region: seat_fragment(state, self.seat_id, region) for region in SEAT_REGIONS}

    def messages(self, state: dict):
        for region, html in self.regions(state).items():
            if self.sent.get(region) != html:
                self.sent[region] = html
                yield Message(region, html, str(state["v"]))

    def transform(self, message: Message):
        return list(self.messages(decode(message.data))) if message.event == "change" else []

    def ended(self, message: Message) -> bool:
        if message.event != "change":
            return False
        state = decode(message.data)
        return state["state"] != "open" or (self.seat_id is not None and str(self.seat_id) not in state["seats"])


def stream(circle: Circle, seat_id: int | None):
    """An SSE response for the keeper (``seat_id`` None) or one seat; the current state goes first.

    The database session is released before streaming: a stream never holds a connection.
    """
    subscription = broker().subscribe(channel(circle.id))
    device = DeviceStream(render_state(circle), seat_id)
    db.session.remove()
    return sse_response(event_stream(subscription, device.initial, transform=device.transform,
                                     stop_after=device.ended))
