"""registry cache: package registry answers kept between runs for a TTL

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 13:50:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('registry_cache',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registry', sa.String(length=20), nullable=False),
    sa.Column('base_url', sa.String(length=300), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('registry', 'base_url', 'name', name='uq_registry_cache_package')
    )


def downgrade() -> None:
    op.drop_table('registry_cache')
