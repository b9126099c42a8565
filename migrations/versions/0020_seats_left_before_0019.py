"""circles: seats let in and taken out before 0019 get the time they left, so they are listed too

0019 began keeping when someone let in left a circle part-way (by themselves, or taken out by the
keeper), and the summary's Who took part and the pupil record list them "(left early)". Seats taken
out before it keep no time and were left out of both. A seat was let in if it ever had a place in
the ring: a seat still waiting has position 0, and letting it in (or joining with auto-admit, or
being added on a one-device circle) gives it the next position, which taking it out does not undo.
Such a seat gets the time of the last Remove or Leave recorded for it in the circle's history (a
history row is written for every change), or, failing that, the time it joined. Seats turned away
from the waiting list (position 0) stay without a time: they did not take part.

Downgrade: nothing to undo that 0019's downgrade does not (it drops the column).

Revision ID: 0020_seats_left_before_0019
Revises: 0019_seat_left_at
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0020_seats_left_before_0019"
down_revision = "0019_seat_left_at"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""
        UPDATE seat SET left_at = COALESCE(
            (SELECT MAX(circle_event.created_at) FROM circle_event
              WHERE circle_event.circle_id = seat.circle_id AND circle_event.seat_id = seat.id
                AND circle_event.kind IN ('remove', 'leave')),
            seat.joined_at)
        WHERE seat.status = 'removed' AND seat.left_at IS NULL AND seat.position > 0
    """)


def downgrade():
    pass
