"""staleness score on entry snapshots and tickets; reason codes on findings and tickets

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 14:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('entry_snapshots') as batch:
        batch.add_column(sa.Column('score', sa.Integer(), nullable=True))
    with op.batch_alter_table('findings') as batch:
        batch.add_column(sa.Column('reason', sa.String(length=40), nullable=False, server_default=''))
    with op.batch_alter_table('tickets') as batch:
        batch.add_column(sa.Column('score', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('reasons', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('tickets') as batch:
        batch.drop_column('reasons')
        batch.drop_column('score')
    with op.batch_alter_table('findings') as batch:
        batch.drop_column('reason')
    with op.batch_alter_table('entry_snapshots') as batch:
        batch.drop_column('score')
