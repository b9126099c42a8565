"""conversations: quick chats with their pupils, school chat chips and question sets,
restorative conversations and conferences with participants and answers

Revision ID: 0005_conversations
Revises: 0004_checkins
Create Date: 2026-11-27 05:03:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_conversations'
down_revision = '0004_checkins'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('chat_chip_list',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('labels', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_chat_chip_list_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_chip_list')),
    sa.UniqueConstraint('school_id', 'kind', name=op.f('uq_chat_chip_list_school_id_kind'))
    )
    with op.batch_alter_table('chat_chip_list', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_chip_list_school_id'), ['school_id'], unique=False)
    op.create_table('question_set',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('audience', sa.String(length=16), nullable=False),
    sa.Column('questions', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_question_set_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_set')),
    sa.UniqueConstraint('school_id', 'audience', name=op.f('uq_question_set_school_id_audience'))
    )
    with op.batch_alter_table('question_set', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_set_school_id'), ['school_id'], unique=False)
    op.create_table('conversation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=True),
    sa.Column('happened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('meeting_notes', sa.Text(), nullable=True),
    sa.Column('review_meeting_on', sa.Date(), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_conversation_school_id_school')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_conversation_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation'))
    )
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversation_happened_at'), ['happened_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversation_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversation_staff_id'), ['staff_id'], unique=False)
    op.create_table('quick_chat',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('what', sa.String(length=60), nullable=False),
    sa.Column('where', sa.String(length=60), nullable=False),
    sa.Column('agreed', sa.String(length=60), nullable=True),
    sa.Column('note', sa.String(length=280), nullable=True),
    sa.Column('happened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('client_uuid', sa.String(length=36), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_quick_chat_school_id_school')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_quick_chat_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quick_chat')),
    sa.UniqueConstraint('school_id', 'client_uuid', name=op.f('uq_quick_chat_school_id_client_uuid'))
    )
    with op.batch_alter_table('quick_chat', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quick_chat_happened_at'), ['happened_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_quick_chat_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quick_chat_staff_id'), ['staff_id'], unique=False)
    op.create_table('conversation_participant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('pupil_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=120), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('preparation_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], name=op.f('fk_conversation_participant_conversation_id_conversation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pupil_id'], ['pupil.id'], name=op.f('fk_conversation_participant_pupil_id_pupil')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation_participant'))
    )
    with op.batch_alter_table('conversation_participant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversation_participant_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversation_participant_pupil_id'), ['pupil_id'], unique=False)
    op.create_table('quick_chat_pupil',
    sa.Column('chat_id', sa.Integer(), nullable=False),
    sa.Column('pupil_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['chat_id'], ['quick_chat.id'], name=op.f('fk_quick_chat_pupil_chat_id_quick_chat'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pupil_id'], ['pupil.id'], name=op.f('fk_quick_chat_pupil_pupil_id_pupil')),
    sa.PrimaryKeyConstraint('chat_id', 'pupil_id', name=op.f('pk_quick_chat_pupil'))
    )
    with op.batch_alter_table('quick_chat_pupil', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quick_chat_pupil_pupil_id'), ['pupil_id'], unique=False)
    op.create_table('conversation_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('question', sa.String(length=300), nullable=False),
    sa.Column('answer', sa.String(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['conversation_participant.id'], name=op.f('fk_conversation_answer_participant_id_conversation_participant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation_answer'))
    )
    with op.batch_alter_table('conversation_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversation_answer_participant_id'), ['participant_id'], unique=False)


def downgrade():
    with op.batch_alter_table('conversation_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversation_answer_participant_id'))
    op.drop_table('conversation_answer')
    with op.batch_alter_table('quick_chat_pupil', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quick_chat_pupil_pupil_id'))
    op.drop_table('quick_chat_pupil')
    with op.batch_alter_table('conversation_participant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversation_participant_pupil_id'))
        batch_op.drop_index(batch_op.f('ix_conversation_participant_conversation_id'))
    op.drop_table('conversation_participant')
    with op.batch_alter_table('quick_chat', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quick_chat_staff_id'))
        batch_op.drop_index(batch_op.f('ix_quick_chat_school_id'))
        batch_op.drop_index(batch_op.f('ix_quick_chat_happened_at'))
    op.drop_table('quick_chat')
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversation_staff_id'))
        batch_op.drop_index(batch_op.f('ix_conversation_school_id'))
        batch_op.drop_index(batch_op.f('ix_conversation_happened_at'))
    op.drop_table('conversation')
    with op.batch_alter_table('question_set', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_set_school_id'))
    op.drop_table('question_set')
    with op.batch_alter_table('chat_chip_list', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_chip_list_school_id'))
    op.drop_table('chat_chip_list')
