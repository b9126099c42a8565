"""sync: a checked roster package keeps the fingerprint of the diff the admin was shown

The confirm applied the package against the roster as it was at the confirm, so if the roster
changed after the check (another import, a pupil or class edited by hand) the admin confirmed a
diff they never saw. The confirm now compares what it would do with this fingerprint.

Revision ID: 0015_pending_import_diff
Revises: 0014_audit_by_command
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015_pending_import_diff"
down_revision = "0014_audit_by_command"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('pending_import', schema=None) as batch_op:
        batch_op.add_column(sa.Column('diff_digest', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('pending_import', schema=None) as batch_op:
        batch_op.drop_column('diff_digest')
