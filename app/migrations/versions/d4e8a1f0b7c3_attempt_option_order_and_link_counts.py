"""An attempt's option-order seed; an activity's chosen gradebook policy

Revision ID: d4e8a1f0b7c3
Revises: b784a9369cbc
Create Date: 2026-12-05 23:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4e8a1f0b7c3'
down_revision = 'b784a9369cbc'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('quiz_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shuffle_seed', sa.Integer(), nullable=True))
    with op.batch_alter_table('resource_link', schema=None) as batch_op:
        batch_op.add_column(sa.Column('counts', sa.String(length=10), nullable=True))


def downgrade():
    with op.batch_alter_table('resource_link', schema=None) as batch_op:
        batch_op.drop_column('counts')
    with op.batch_alter_table('quiz_attempt', schema=None) as batch_op:
        batch_op.drop_column('shuffle_seed')
