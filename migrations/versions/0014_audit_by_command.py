"""audit: an entry may be recorded by a command (flask purge-records from cron) rather than a person

Revision ID: 0014_audit_by_command
Revises: 0013_concern_actions
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014_audit_by_command"
down_revision = "0013_concern_actions"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.alter_column('staff_id', existing_type=sa.Integer(), nullable=True)


def downgrade():
    # Before 0014 every entry named a person: the entries a command recorded cannot be kept.
    op.execute("DELETE FROM audit_event WHERE staff_id IS NULL")
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.alter_column('staff_id', existing_type=sa.Integer(), nullable=False)
