"""safeguarding: a concern keeps the id of the form it was sent from, so a form sent twice is one concern

On slow school Wi-Fi a concern's send can get no answer after the server has stored it; the person
sends again, and the DSL had the same concern twice (two alerts, two records to close). A double tap
did the same. Each concern form now carries an id made when it is drawn; ``client_uuid`` keeps it, and
the school's unique (school_id, client_uuid) lets a second send of one form find the first (and stops
two sends at once from both being stored).

No backfill: concerns raised before this came from forms without an id; they stay NULL, which the
unique constraint allows any number of.

Downgrade: drops the constraint and the column (a form sent twice is then two concerns again).

Revision ID: 0022_concern_client_uuid
Revises: 0021_staff_mis_left
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0022_concern_client_uuid"
down_revision = "0021_staff_mis_left"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('concern', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_uuid', sa.String(length=36), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_concern_school_id_client_uuid'), ['school_id', 'client_uuid'])


def downgrade():
    with op.batch_alter_table('concern', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_concern_school_id_client_uuid'), type_='unique')
        batch_op.drop_column('client_uuid')
