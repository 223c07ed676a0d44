"""Per-unit end-of-line records in a SQL database (SQLAlchemy + Alembic).  (helper B)"""
