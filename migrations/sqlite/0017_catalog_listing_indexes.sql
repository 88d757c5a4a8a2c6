-- Issue 19: listing and searching a large catalog without reading every entity's row.

-- Pages are ordered by (name, uid) or (kind, name, uid) and walked by keyset: these indexes give
-- a page in its order without sorting the catalog (100 000 entities sorted per page: 90 ms).
DROP INDEX entities_kind_name;
CREATE INDEX entities_kind_name_uid ON entities (kind, name, uid);
CREATE INDEX entities_name_uid ON entities (name, uid);

-- Ranking a search's matches reads kind, namespace, name and uid of each: from this narrow
-- index (the query names it) rather than the entities' wide rows (bodies of several KiB).
CREATE INDEX entities_ranking ON entities (id, kind, namespace, name, uid);

-- The index answers "the term in the title, description or display name" (a search's second
-- rank) too: the heading is its second column.
DROP TRIGGER entity_text_added;
DROP TRIGGER entity_text_removed;
DROP TRIGGER entity_text_changed;
DROP TABLE entity_text_index;
CREATE VIRTUAL TABLE entity_text_index USING fts5 (text, heading, content = 'entity_text', content_rowid = 'entity_id', tokenize = 'trigram');
CREATE TRIGGER entity_text_added AFTER INSERT ON entity_text BEGIN
    INSERT INTO entity_text_index (rowid, text, heading) VALUES (new.entity_id, new.text, new.heading);
END;
CREATE TRIGGER entity_text_removed AFTER DELETE ON entity_text BEGIN
    INSERT INTO entity_text_index (entity_text_index, rowid, text, heading) VALUES ('delete', old.entity_id, old.text, old.heading);
END;
CREATE TRIGGER entity_text_changed AFTER UPDATE OF text, heading ON entity_text BEGIN
    INSERT INTO entity_text_index (entity_text_index, rowid, text, heading) VALUES ('delete', old.entity_id, old.text, old.heading);
    INSERT INTO entity_text_index (rowid, text, heading) VALUES (new.entity_id, new.text, new.heading);
END;
INSERT INTO entity_text_index (entity_text_index) VALUES ('rebuild');
