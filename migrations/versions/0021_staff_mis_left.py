"""staff: keep that the MIS roster says a member of staff has left, so nobody lets a leaver back in

The roster import adds staff deactivated with no password, and deactivates those the MIS says have
left; nothing told the two apart, so "Set a first password" could let a leaver in. ``mis_left`` is
set by the import when the MIS deletes or disables someone (or a full roster no longer lists them)
and cleared when it lists them again.

No backfill: nothing kept before this tells an account from the roster that is deactivated because it
is new (waiting for its first password) from one the MIS said had left, or one an admin deactivated by
hand (a long leave). Marking them all would tell admins, untruly, that new starters have left, and lock
them out until an import listed them again (never, for a school that imports only changes). So every
existing account starts unmarked; the next full roster import marks each one it does not list, and a
later delete or disable marks that one.

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


def downgrade():
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('mis_left')
