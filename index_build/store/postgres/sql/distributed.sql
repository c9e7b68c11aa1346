-- citeqa's PostgreSQL store sharded with Citus, by document.
--
-- Run once on the Citus coordinator, after `citeqa db --dsn ... migrate` and before any data is copied in:
--     psql "$DSN" -f index_build/store/postgres/sql/distributed.sql
--
-- What it relies on (Citus's documented limits, checked by reading, not run: Citus cannot be installed on the
-- machines citeqa is developed on):
-- * every primary key of a distributed table holds its distribution column: citeqa_documents (document_key),
--   citeqa_chunks (document_key, ordinal), citeqa_sentences (document_key, ordinal),
--   citeqa_document_terms (document_key, term), citeqa_document_words (document_key, language, word),
--   citeqa_postings (document_key, ordinal, term), citeqa_chunk_speakers (document_key, ordinal, folded);
-- * the seven share one column type (text) and are co-located, so a document's rows live on one node;
-- * the small tables (schema, settings, versions, the current pointer, each version's list of documents, the
--   word vectors: one row a word) are reference tables, copied to every node; their foreign keys point only at
--   other reference tables;
-- * no foreign key points from a reference table into a distributed one, and none uses SET NULL or SET DEFAULT;
-- * citeqa's writes to the distributed tables name document_key (COPY, INSERT), or delete the documents no
--   version lists (a subquery over a reference table); a change of a reference table (the unused word vectors)
--   never reads a distributed table: the words are selected first (EXCEPT, planned recursively), then deleted by
--   key. Reading a version's words joins the reference table with a non-correlated subquery over
--   citeqa_document_words (IN), which Citus plans recursively; a search keeps a version's rows with
--   `document_key IN (SELECT document_key FROM citeqa_version_documents ...)`, a distributed table joined with a
--   reference table (supported on any column). A first load drops and recreates indexes inside its transaction
--   (DDL that Citus propagates to the shards). Its searches order by a vector distance or a text rank with LIMIT, which
--   Citus pushes down to every shard and merges. A speaker filter (schema 3) reads the distinct folded values of
--   citeqa_chunk_speakers in a materialised CTE (Citus plans it recursively; the values matched come back as an
--   array), then keeps the passages with `(document_key, ordinal) IN (SELECT document_key, ordinal FROM
--   citeqa_chunk_speakers WHERE folded = ANY(...))`, a co-located distributed table joined on the distribution column.
-- * the renderings (schema 4) are distributed with their documents; the report files and the servers' leases
--   (schema 5) are reference tables (no foreign key into a distributed table; a file is deleted when no row of
--   citeqa_version_documents, a reference table, names its sha256).
-- Untested here: the statements below, the plans Citus makes, and HNSW recall across shards.

SELECT create_reference_table('citeqa_schema');
SELECT create_reference_table('citeqa_settings');
SELECT create_reference_table('citeqa_versions');
SELECT create_reference_table('citeqa_current');
SELECT create_reference_table('citeqa_version_documents');
SELECT create_distributed_table('citeqa_documents', 'document_key');
SELECT create_distributed_table('citeqa_chunks', 'document_key', colocate_with => 'citeqa_documents');
SELECT create_distributed_table('citeqa_sentences', 'document_key', colocate_with => 'citeqa_documents');
SELECT create_reference_table('citeqa_words');
SELECT create_distributed_table('citeqa_document_terms', 'document_key', colocate_with => 'citeqa_documents');
SELECT create_distributed_table('citeqa_document_words', 'document_key', colocate_with => 'citeqa_documents');
SELECT create_distributed_table('citeqa_postings', 'document_key', colocate_with => 'citeqa_documents');
SELECT create_distributed_table('citeqa_chunk_speakers', 'document_key', colocate_with => 'citeqa_documents');
SELECT create_distributed_table('citeqa_renderings', 'document_key', colocate_with => 'citeqa_documents');
SELECT create_distributed_table('citeqa_rendering_postings', 'document_key', colocate_with => 'citeqa_documents');
SELECT create_reference_table('citeqa_report_files');
SELECT create_reference_table('citeqa_servers');
