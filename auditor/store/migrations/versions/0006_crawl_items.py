"""crawl_items: what a site crawl's workers read, one row per (crawl, type, URL), for crawls shared over Redis

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 06:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('crawl_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('crawl', sa.String(length=64), nullable=False),
    sa.Column('site', sa.String(length=200), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('url_hash', sa.String(length=64), nullable=False),
    sa.Column('worker', sa.String(length=200), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('crawl', 'type', 'url_hash', name='uq_crawl_item')
    )
    op.create_index(op.f('ix_crawl_items_crawl'), 'crawl_items', ['crawl'], unique=False)
    op.create_index(op.f('ix_crawl_items_site'), 'crawl_items', ['site'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_crawl_items_site'), table_name='crawl_items')
    op.drop_index(op.f('ix_crawl_items_crawl'), table_name='crawl_items')
    op.drop_table('crawl_items')
