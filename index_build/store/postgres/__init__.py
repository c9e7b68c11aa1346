"""The PostgreSQL store (pgvector): versions, catalog and report files in one database that several machines share."""
