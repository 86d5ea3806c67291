"""What named officers change: accounts, sign-in, action-plan progress, local data uploads, the audit log.

Kept in a small relational database (SQLAlchemy 2 + Alembic; SQLite by default, PostgreSQL when
``OBSERVATORY_DATABASE_URL`` names one), separate from the immutable releases. The public site only
reads from it (action progress); uploaded data reaches the public only through a release built after
its embargo lifts.
"""
