"""staff: keep that the MIS roster says a member of staff has left, so nobody lets a leaver back in

The roster import adds staff deactivated with no password, and deactivates those the MIS says have
left; nothing told the two apart, so "Set a first password" could let a leaver in. ``mis_left`` is
set by the import when the MIS deletes or disables someone (or a full roster no longer lists them)
and cleared when it lists them again.

Backfill: nothing kept before says why an account from the roster (``external_id``) is deactivated:
it may be new and waiting for its first password, or the MIS may have said it left (or an admin
deactivated it by hand). Each such account counts as having left, the safe side for a school's
records: the next roster import that lists it clears the mark, and the staff page says so. Accounts
made by hand, and every active account, are not marked.

Downgrade: drops the column (what it told apart is lost again).

Revision ID: 0021_staff_mis_left
Revises: 0020_seats_left_before_0019
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0021_staff_mis_left"
down_revision = "0020_seats_left_before_0019"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mis_left', sa.Boolean(), server_default=sa.false(), nullable=False))
    staff = sa.table('staff', sa.column('mis_left', sa.Boolean()), sa.column('active', sa.Boolean()),
                     sa.column('external_id', sa.String()))
    op.execute(staff.update().where(staff.c.active.is_(False), staff.c.external_id.is_not(None))
               .values(mis_left=True))


def downgrade():
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('mis_left')
