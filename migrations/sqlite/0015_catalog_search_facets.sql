-- Issue 19: full-text search as an index, and facet counts kept with the catalog.

-- What ranks a match above "the rest": the lower-case title, description and display name.
ALTER TABLE entity_text ADD COLUMN heading TEXT NOT NULL DEFAULT '';
UPDATE entity_text SET heading = COALESCE((
    SELECT lower(concat_ws(' ', json_extract(e.body, '$.metadata.title'), json_extract(e.body, '$.metadata.description'),
                           json_extract(e.body, '$.spec.profile.displayName')))
    FROM entities e WHERE e.id = entity_text.entity_id), '');

-- Full-text search: an FTS5 index of trigrams over entity_text (its external content), so a
-- substring of three characters or more is found through the index (`chec` finds `checkout`).
-- Triggers keep it in step with every statement that writes entity_text, in its transaction.
CREATE VIRTUAL TABLE entity_text_index USING fts5 (text, content = 'entity_text', content_rowid = 'entity_id', tokenize = 'trigram');
CREATE TRIGGER entity_text_added AFTER INSERT ON entity_text BEGIN
    INSERT INTO entity_text_index (rowid, text) VALUES (new.entity_id, new.text);
END;
CREATE TRIGGER entity_text_removed AFTER DELETE ON entity_text BEGIN
    INSERT INTO entity_text_index (entity_text_index, rowid, text) VALUES ('delete', old.entity_id, old.text);
END;
CREATE TRIGGER entity_text_changed AFTER UPDATE OF text ON entity_text BEGIN
    INSERT INTO entity_text_index (entity_text_index, rowid, text) VALUES ('delete', old.entity_id, old.text);
    INSERT INTO entity_text_index (rowid, text) VALUES (new.entity_id, new.text);
END;
INSERT INTO entity_text_index (entity_text_index) VALUES ('rebuild');

-- Facet counts (`/entity-facets`, the catalog page's filters): how many entities of each kind
-- have each value of each field, kept by every statement that adds or removes entities, in its
-- transaction. Rows are changes (+n, -n), never updated in place, so refreshes writing side by
-- side never wait on one another's rows; after a refresh, the rows of a value are folded into
-- one. A facet is the sum of its rows.
CREATE TABLE facet_counts (
    kind   TEXT NOT NULL,                     -- lower-case, as entities.kind
    facet  TEXT NOT NULL,                     -- kind, metadata.namespace, a search key, relations.<type>
    value  TEXT NOT NULL,                     -- as shown (search.original_value, a target ref)
    n      BIGINT NOT NULL
);
CREATE INDEX facet_counts_facet ON facet_counts (facet, kind, value);

-- The counts of the catalog as it stands: columns, search fields, and relations in both
-- directions (an entity counted once per value, whichever side declared the relation).
INSERT INTO facet_counts (kind, facet, value, n)
SELECT kind, 'kind', kind, COUNT(*) FROM entities GROUP BY kind
UNION ALL SELECT kind, 'metadata.namespace', namespace, COUNT(*) FROM entities GROUP BY kind, namespace
UNION ALL SELECT e.kind, s.key, s.original_value, COUNT(DISTINCT s.entity_id)
    FROM search s JOIN entities e ON e.id = s.entity_id GROUP BY e.kind, s.key, s.original_value;
INSERT INTO facet_counts (kind, facet, value, n)
SELECT kind, facet, value, COUNT(*) FROM (
    SELECT e.id, e.kind, 'relations.' || r.type AS facet, r.target_ref AS value
        FROM relations r JOIN entities e ON e.entity_ref = r.source_ref
    UNION
    SELECT e.id, e.kind, 'relations.' || CASE r.type WHEN 'ownedBy' THEN 'ownerOf' WHEN 'ownerOf' THEN 'ownedBy' WHEN 'partOf' THEN 'hasPart' WHEN 'hasPart' THEN 'partOf' WHEN 'providesApi' THEN 'apiProvidedBy' WHEN 'apiProvidedBy' THEN 'providesApi' WHEN 'consumesApi' THEN 'apiConsumedBy' WHEN 'apiConsumedBy' THEN 'consumesApi' WHEN 'dependsOn' THEN 'dependencyOf' WHEN 'dependencyOf' THEN 'dependsOn' WHEN 'memberOf' THEN 'hasMember' WHEN 'hasMember' THEN 'memberOf' WHEN 'childOf' THEN 'parentOf' WHEN 'parentOf' THEN 'childOf' END, r.source_ref
        FROM relations r JOIN entities e ON e.entity_ref = r.target_ref
        WHERE r.type IN ('ownedBy', 'ownerOf', 'partOf', 'hasPart', 'providesApi', 'apiProvidedBy', 'consumesApi', 'apiConsumedBy', 'dependsOn', 'dependencyOf', 'memberOf', 'hasMember', 'childOf', 'parentOf')
) pairs GROUP BY kind, facet, value;
