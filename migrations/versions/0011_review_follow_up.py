"""agreements: each "not kept" review keeps its own follow-up (moved from the agreement to the review)

A second "not kept" used to clear the agreement's record of how the first one was followed up.

Revision ID: 0011_review_follow_up
Revises: 0010_audit
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0011_review_follow_up"
down_revision = "0010_audit"
branch_labels = None
depends_on = None

COLUMNS = ("followed_up_at", "followed_up_by_id", "follow_up_conversation_id")


def _add_follow_up(batch_op, table):
    batch_op.add_column(sa.Column('followed_up_at', sa.DateTime(timezone=True), nullable=True))
    batch_op.add_column(sa.Column('followed_up_by_id', sa.Integer(), nullable=True))
    batch_op.add_column(sa.Column('follow_up_conversation_id', sa.Integer(), nullable=True))
    batch_op.create_foreign_key(batch_op.f(f'fk_{table}_followed_up_by_id_staff'), 'staff',
                                ['followed_up_by_id'], ['id'])
    batch_op.create_foreign_key(batch_op.f(f'fk_{table}_follow_up_conversation_id_conversation'),
                                'conversation', ['follow_up_conversation_id'], ['id'])


def _drop_follow_up(batch_op, table):
    batch_op.drop_constraint(f'fk_{table}_follow_up_conversation_id_conversation', type_='foreignkey')
    batch_op.drop_constraint(f'fk_{table}_followed_up_by_id_staff', type_='foreignkey')
    for column in reversed(COLUMNS):
        batch_op.drop_column(column)


def upgrade():
    with op.batch_alter_table('agreement_review', schema=None) as batch_op:
        _add_follow_up(batch_op, 'agreement_review')
    # a recorded follow-up answered the agreement's latest "not kept" review
    for column in COLUMNS:
        op.execute(f"""
            UPDATE agreement_review SET {column} = (
                SELECT agreement.{column} FROM agreement WHERE agreement.id = agreement_review.agreement_id)
            WHERE id IN (SELECT max(r.id) FROM agreement_review r JOIN agreement a ON a.id = r.agreement_id
                         WHERE r.outcome = 'not_kept' AND a.followed_up_at IS NOT NULL GROUP BY r.agreement_id)""")
    with op.batch_alter_table('agreement', schema=None) as batch_op:
        _drop_follow_up(batch_op, 'agreement')


def downgrade():
    with op.batch_alter_table('agreement', schema=None) as batch_op:
        _add_follow_up(batch_op, 'agreement')
    for column in COLUMNS:  # the agreement keeps the follow-up of its latest "not kept" review
        op.execute(f"""
            UPDATE agreement SET {column} = (
                SELECT r.{column} FROM agreement_review r WHERE r.id = (
                    SELECT max(id) FROM agreement_review WHERE agreement_id = agreement.id AND outcome = 'not_kept'))""")
    with op.batch_alter_table('agreement_review', schema=None) as batch_op:
        _drop_follow_up(batch_op, 'agreement_review')
