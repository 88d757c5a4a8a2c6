-- Issue 19: listing and searching a large catalog without sorting it.

-- Pages are ordered by (name, uid) or (kind, name, uid) and walked by keyset: these indexes give
-- a page in its order without sorting the catalog.
DROP INDEX entities_kind_name;
CREATE INDEX entities_kind_name_uid ON entities (kind, name, uid);
CREATE INDEX entities_name_uid ON entities (name, uid);

-- A search's second rank (the term in the title, description or display name) from the index.
CREATE INDEX entity_text_heading_trigrams ON entity_text USING gin (heading gin_trgm_ops);
