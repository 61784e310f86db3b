"""participation totals on each frozen result set; area sums read result cells from the index

Revision ID: 3c5e0b9d2a71
Revises: 8eded24d65f3
Create Date: 2026-12-06 04:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c5e0b9d2a71'
down_revision = '8eded24d65f3'
branch_labels = None
depends_on = None

# Results frozen before this revision: their participation from their class rows (one per
# class: its first indicator) and the class windows' roster sizes, as the area figures read it.
BACKFILL = """
UPDATE survey_result_set SET
    roster_respondents = (
        SELECT COALESCE(SUM(CASE WHEN r.respondents < w.roster_size
                                 THEN r.respondents ELSE w.roster_size END), 0)
        FROM survey_result r JOIN survey_window w
          ON w.wave_id = r.wave_id AND w.school_class_id = r.unit_id
        WHERE r.wave_id = survey_result_set.wave_id AND r.level = 'class' AND r.position = 0
          AND w.roster_size > 0),
    roster_size = (
        SELECT COALESCE(SUM(w.roster_size), 0)
        FROM survey_result r JOIN survey_window w
          ON w.wave_id = r.wave_id AND w.school_class_id = r.unit_id
        WHERE r.wave_id = survey_result_set.wave_id AND r.level = 'class' AND r.position = 0
          AND w.roster_size > 0)
"""


def upgrade():
    with op.batch_alter_table('survey_result_set', schema=None) as batch_op:
        batch_op.add_column(sa.Column('roster_respondents', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('roster_size', sa.Integer(), server_default='0', nullable=False))
    op.execute(BACKFILL)
    with op.batch_alter_table('survey_result', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_result_level_position_wave')
        batch_op.drop_constraint('uq_survey_result_wave_id_level_unit_id_indicator', type_='unique')
        if op.get_bind().dialect.name != 'postgresql':  # no covering indexes elsewhere
            batch_op.create_unique_constraint(
                'uq_survey_result_wave_id_level_indicator_unit_id',
                ['wave_id', 'level', 'indicator', 'unit_id'],
            )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            'ALTER TABLE survey_result ADD CONSTRAINT uq_survey_result_wave_id_level_indicator_unit_id'
            ' UNIQUE (wave_id, level, indicator, unit_id)'
            ' INCLUDE (respondents, numerator, denominator, status)'
        )


def downgrade():
    with op.batch_alter_table('survey_result', schema=None) as batch_op:
        batch_op.drop_constraint('uq_survey_result_wave_id_level_indicator_unit_id', type_='unique')
        batch_op.create_unique_constraint(
            'uq_survey_result_wave_id_level_unit_id_indicator',
            ['wave_id', 'level', 'unit_id', 'indicator'],
        )
        batch_op.create_index('ix_survey_result_level_position_wave', ['level', 'position', 'wave_id'], unique=False)
    with op.batch_alter_table('survey_result_set', schema=None) as batch_op:
        batch_op.drop_column('roster_size')
        batch_op.drop_column('roster_respondents')
