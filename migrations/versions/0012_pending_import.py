"""sync: a checked roster package waits for its confirm in the database, not in one machine's instance/

With several machines the confirm could reach a machine that never saw the upload, and a package
checked but never confirmed (a whole roster) stayed on disk for good.

Revision ID: 0012_pending_import
Revises: 0011_review_follow_up
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0012_pending_import"
down_revision = "0011_review_follow_up"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pending_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('package', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_pending_import_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_import')),
    sa.UniqueConstraint('token', name=op.f('uq_pending_import_token'))
    )
    with op.batch_alter_table('pending_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_import_checked_at'), ['checked_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_import_school_id'), ['school_id'], unique=False)


def downgrade():
    with op.batch_alter_table('pending_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_import_school_id'))
        batch_op.drop_index(batch_op.f('ix_pending_import_checked_at'))
    op.drop_table('pending_import')
