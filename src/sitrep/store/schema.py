"""The versioned schema of the sitrep store: an ordered list of migrations, each applied once.

Later layers add migrations at the end; existing databases upgrade in place when opened for writing.
"""
from __future__ import annotations

# The two timeline tables as migration 6 leaves them: `Store.cluster_timeline` rewrites them in day order with the
# same definitions (DuckDB's own text of a table's definition leaves out the storage setting of `texts`). A timeline
# reads the rows of a dozen days, a scan a day: in day order those rows sit in a block or two, and uncompressed
# texts are read as they lie, where compressed ones are decompressed a whole block (2,048 rows) at a time.
TIMELINE_TABLES: dict[str, tuple[str, str]] = {
    "timeline_candidates": (
        "(article_id VARCHAR NOT NULL, day DATE NOT NULL, published DATE, sentences INTEGER[] NOT NULL, "
        "refers BOOLEAN[] NOT NULL, texts VARCHAR[] NOT NULL USING COMPRESSION uncompressed)",
        "timeline_candidates_article"),
    "timeline_vectors": (
        "(article_id VARCHAR NOT NULL, day DATE NOT NULL, words INTEGER[] NOT NULL, vectors BLOB NOT NULL)",
        "timeline_vectors_article"),
}
# How many timeline_candidates rows the last rewrite put in order (`Store.cluster_timeline` compares).
CLUSTERED_ROWS = ("INSERT INTO meta SELECT 'timeline_clustered_rows', count(*)::VARCHAR FROM timeline_candidates "
                  "ON CONFLICT (key) DO UPDATE SET value = excluded.value")


def rewrite_by_day(table: str) -> list[str]:
    """Statements that rewrite a timeline table in (day, article) order, with its definition and index."""
    columns, index = TIMELINE_TABLES[table]
    new = f"{table}_by_day"
    return [f"DROP TABLE IF EXISTS {new}", f"CREATE TABLE {new} {columns}",
            f"INSERT INTO {new} SELECT * FROM {table} ORDER BY day, article_id",
            f"DROP INDEX {index}", f"DROP TABLE {table}", f"ALTER TABLE {new} RENAME TO {table}",
            f"CREATE INDEX {index} ON {table} (article_id)"]


MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (
        1,
        "articles, items, rejects, near-duplicate index, runs",
        [
            """
            CREATE TABLE articles (
                id VARCHAR PRIMARY KEY,
                source VARCHAR NOT NULL,          -- input path or URL exactly as given
                locator VARCHAR NOT NULL,         -- where in the source: '', 'line 3', 'record 2', 'entry 1'
                fmt VARCHAR NOT NULL,             -- txt, md, html, jsonl, rss, warc, url
                url VARCHAR,
                title VARCHAR,
                author VARCHAR,
                outlet VARCHAR,
                published DATE,
                date_source VARCHAR,              -- marker, header, metadata, html, feed, dateline
                date_note VARCHAR NOT NULL,       -- how the date was found, or why there is none
                language VARCHAR,
                language_score DOUBLE,
                skip_reason VARCHAR,              -- why later layers skip it (non-English, ...)
                text VARCHAR NOT NULL,            -- clean text: offsets of later layers point here
                raw_text VARCHAR NOT NULL,
                removed JSON NOT NULL,            -- [{start, end, at, reason}] raw offsets, clean insertion point
                content_hash VARCHAR NOT NULL,
                duplicate_of VARCHAR,             -- canonical article of a near-duplicate
                similarity DOUBLE,
                n_chars INTEGER NOT NULL,
                run_id INTEGER,
                ingested_at TIMESTAMP NOT NULL DEFAULT current_timestamp
            )
            """,
            "CREATE INDEX articles_hash ON articles (content_hash)",
            "CREATE INDEX articles_url ON articles (url)",
            # Every input item that went in: the article it became (kind 'article') or the existing article
            # it duplicates exactly (kind 'duplicate'). Re-reading an item already here is a no-op.
            """
            CREATE TABLE items (
                source VARCHAR NOT NULL,
                locator VARCHAR NOT NULL,
                raw_hash VARCHAR NOT NULL,
                article_id VARCHAR NOT NULL,
                kind VARCHAR NOT NULL,
                url VARCHAR,
                run_id INTEGER,
                PRIMARY KEY (source, locator, raw_hash)
            )
            """,
            "CREATE INDEX items_article ON items (article_id)",
            "CREATE INDEX items_url ON items (url)",
            """
            CREATE TABLE rejects (
                source VARCHAR NOT NULL,
                locator VARCHAR NOT NULL,
                reason VARCHAR NOT NULL,
                detail VARCHAR NOT NULL,
                run_id INTEGER,
                rejected_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
                PRIMARY KEY (source, locator)
            )
            """,
            # MinHash signatures and LSH band buckets: the near-duplicate index lives in the store, not in RAM.
            "CREATE TABLE minhash (article_id VARCHAR PRIMARY KEY, signature BLOB NOT NULL)",
            "CREATE TABLE lsh_bands (band SMALLINT NOT NULL, bucket BIGINT NOT NULL, article_id VARCHAR NOT NULL)",
            "CREATE INDEX lsh_bands_bucket ON lsh_bands (band, bucket)",
            "CREATE INDEX lsh_bands_article ON lsh_bands (article_id)",
            """
            CREATE TABLE runs (
                id INTEGER PRIMARY KEY,
                command VARCHAR NOT NULL,
                started_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
                finished_at TIMESTAMP,
                summary JSON
            )
            """,
            "CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
        ],
    ),
    (
        2,
        "language layer: sentences, mentions, actor identities, annotation markers",
        [
            """
            CREATE TABLE sentences (
                article_id VARCHAR NOT NULL,
                idx INTEGER NOT NULL,
                start_char INTEGER NOT NULL,      -- offsets into articles.text
                end_char INTEGER NOT NULL,
                PRIMARY KEY (article_id, idx)
            )
            """,
            """
            CREATE TABLE mentions (
                article_id VARCHAR NOT NULL,
                idx INTEGER NOT NULL,
                kind VARCHAR NOT NULL,            -- actor, place, time
                text VARCHAR NOT NULL,
                start_char INTEGER NOT NULL,      -- offsets into articles.text
                end_char INTEGER NOT NULL,
                sentence_index INTEGER NOT NULL,
                name VARCHAR, code VARCHAR, country VARCHAR, sector VARCHAR, wikidata VARCHAR,
                actor_id VARCHAR, actor_kind VARCHAR, role VARCHAR,
                place_id VARCHAR, geonameid BIGINT, lat DOUBLE, lon DOUBLE, place_kind VARCHAR,
                precision VARCHAR, value VARCHAR, value_end VARCHAR, anchor VARCHAR,
                reason VARCHAR,                   -- why the mention is unresolved
                method VARCHAR, label VARCHAR,
                PRIMARY KEY (article_id, idx)
            )
            """,
            "CREATE INDEX mentions_kind ON mentions (kind)",
            "CREATE INDEX mentions_actor ON mentions (actor_id)",
            # Identities of people the dictionary does not know, shared across articles (spelling variants
            # of one name link to one identity through `block`, a consonant skeleton of the surname).
            """
            CREATE TABLE person_identities (
                id VARCHAR PRIMARY KEY,
                name VARCHAR NOT NULL,
                country VARCHAR,
                block VARCHAR NOT NULL
            )
            """,
            "CREATE INDEX person_identities_block ON person_identities (block)",
            """
            CREATE TABLE annotated (
                article_id VARCHAR PRIMARY KEY,
                model VARCHAR NOT NULL,
                knowledge VARCHAR NOT NULL,       -- hash of the actor and place files used
                tokens INTEGER NOT NULL,
                mentions INTEGER NOT NULL,
                run_id INTEGER,
                annotated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
            )
            """,
        ],
    ),
    (
        3,
        "event coding: one row per coded event, filter columns beside the full record",
        [
            """
            CREATE TABLE events (
                id VARCHAR PRIMARY KEY,           -- stable: article, sentence, trigger span and type
                article_id VARCHAR NOT NULL,
                sentence_index INTEGER NOT NULL,
                start_char INTEGER NOT NULL,      -- the sentence, offsets into articles.text
                end_char INTEGER NOT NULL,
                trigger_start INTEGER NOT NULL,
                trigger_end INTEGER NOT NULL,
                event VARCHAR NOT NULL,           -- PLOVER type
                mode VARCHAR,
                quad TINYINT NOT NULL,
                cameo VARCHAR,
                intensity DOUBLE,
                date VARCHAR,                     -- YYYY, YYYY-MM or YYYY-MM-DD
                date_precision VARCHAR,
                date_source VARCHAR,
                day DATE,                         -- first day of `date`, for range filters
                negated BOOLEAN NOT NULL,
                modality VARCHAR NOT NULL,
                confidence DOUBLE NOT NULL,
                actor_codes VARCHAR[],            -- lower case, for --actor matching
                actor_names VARCHAR[],
                recipient_codes VARCHAR[],
                recipient_names VARCHAR[],
                countries VARCHAR[],              -- ISO3 of actors and recipients
                pipeline_version VARCHAR,
                record JSON NOT NULL              -- the full event record (event.schema.json)
            )
            """,
            "CREATE INDEX events_article ON events (article_id)",
            "CREATE INDEX events_day ON events (day)",
            # Articles annotated before events existed are annotated again (and coded) by the next ingest.
            "DELETE FROM annotated",
        ],
    ),
    (
        4,
        "fusion and stories: events across reports, their links to coded mentions, stories of articles",
        [
            # One row per real-world event: the fusion of the coded mentions (rows of `events`) that report it.
            """
            CREATE TABLE fused_events (
                id VARCHAR PRIMARY KEY,           -- stable: derived from the smallest mention id it holds
                block VARCHAR NOT NULL,           -- the fusion block (connected mentions) it was computed in
                event VARCHAR NOT NULL,
                mode VARCHAR,
                quad TINYINT NOT NULL,
                date VARCHAR,
                day DATE,
                negated BOOLEAN NOT NULL,
                modality VARCHAR NOT NULL,
                confidence DOUBLE NOT NULL,
                actor_codes VARCHAR[],
                actor_names VARCHAR[],
                recipient_codes VARCHAR[],
                recipient_names VARCHAR[],
                countries VARCHAR[],
                outlets VARCHAR[],                -- lower case
                article_ids VARCHAR[],
                num_mentions INTEGER NOT NULL,
                num_articles INTEGER NOT NULL,
                num_sources INTEGER NOT NULL,
                first_reported DATE,
                has_conflicts BOOLEAN NOT NULL,
                listed BOOLEAN NOT NULL,          -- false for a group of actor-less mentions: evidence, not an event
                record JSON NOT NULL
            )
            """,
            "CREATE INDEX fused_events_day ON fused_events (day)",
            "CREATE INDEX fused_events_block ON fused_events (block)",
            # Which fused event each coded mention went to, why, and the keys that find fusion candidates.
            """
            CREATE TABLE event_links (
                mention_id VARCHAR PRIMARY KEY,
                event_id VARCHAR NOT NULL,
                block VARCHAR NOT NULL,
                article_id VARCHAR NOT NULL,
                fingerprint VARCHAR NOT NULL,     -- md5 of the mention record it was fused from
                type_group VARCHAR NOT NULL,
                day_lo DATE,                      -- the window the mention's date allows
                day_hi DATE,
                actor_roots VARCHAR[],            -- country or group part of the actor codes
                identity VARCHAR,                 -- key of a once-only event (the killing of a named person)
                reason VARCHAR NOT NULL
            )
            """,
            "CREATE INDEX event_links_block ON event_links (block)",
            "CREATE INDEX event_links_event ON event_links (event_id)",
            "CREATE INDEX event_links_article ON event_links (article_id)",
            "CREATE INDEX event_links_lo ON event_links (type_group, day_lo)",
            "CREATE INDEX event_links_identity ON event_links (identity)",
            # Article vectors (static embeddings of title and lead) and story membership.
            """
            CREATE TABLE article_vectors (
                article_id VARCHAR PRIMARY KEY,
                day DATE,
                vector FLOAT[] NOT NULL,
                keys VARCHAR[] NOT NULL           -- actor and place identities of the article
            )
            """,
            "CREATE INDEX article_vectors_day ON article_vectors (day)",
            """
            CREATE TABLE story_members (
                article_id VARCHAR PRIMARY KEY,
                story_id VARCHAR NOT NULL,
                reason VARCHAR NOT NULL
            )
            """,
            "CREATE INDEX story_members_story ON story_members (story_id)",
            """
            CREATE TABLE stories (
                id VARCHAR PRIMARY KEY,
                title VARCHAR NOT NULL,
                first_day DATE,
                last_day DATE,
                num_articles INTEGER NOT NULL,
                num_events INTEGER NOT NULL,
                actors VARCHAR[],                 -- lower-case codes and names, for --actor
                record JSON NOT NULL
            )
            """,
        ],
    ),
    (
        5,
        "reading at scale: per-article keys for timelines and actor selections, raw text length for stats",
        [
            # A timeline's candidate sentences, by article and day: the sentences whose day-precision time
            # expressions resolve to the day (`refers`) and, for the publication day, the first five sentences,
            # with their text. A timeline reads the rows of its few best days (a filter on `day` in the scan)
            # instead of every mention, sentence and text of the articles it covers.
            """
            CREATE TABLE timeline_candidates (
                article_id VARCHAR NOT NULL,
                day DATE NOT NULL,
                published DATE,                   -- the article's
                sentences INTEGER[] NOT NULL,     -- sentence indexes, ascending
                refers BOOLEAN[] NOT NULL,        -- the sentence names the day (else: one of the first five)
                texts VARCHAR[] NOT NULL
            )
            """,
            """
            INSERT INTO timeline_candidates
            WITH refs AS (SELECT DISTINCT article_id, TRY_CAST(value AS DATE) AS day, sentence_index AS idx
                          FROM mentions WHERE kind = 'time' AND precision = 'day'
                          AND TRY_CAST(value AS DATE) IS NOT NULL),
            leads AS (SELECT s.article_id, a.published AS day, s.idx FROM sentences s
                      JOIN articles a ON a.id = s.article_id WHERE s.idx < 5 AND a.published IS NOT NULL),
            c AS (SELECT article_id, day, idx, bool_or(r) AS refers FROM
                  (SELECT article_id, day, idx, true AS r FROM refs UNION ALL
                   SELECT article_id, day, idx, false FROM leads) GROUP BY ALL)
            SELECT c.article_id, c.day, a.published, list(c.idx ORDER BY c.idx), list(c.refers ORDER BY c.idx),
                   list(substr(a.text, s.start_char + 1, s.end_char - s.start_char) ORDER BY c.idx)
            FROM c JOIN sentences s ON s.article_id = c.article_id AND s.idx = c.idx
            JOIN articles a ON a.id = c.article_id GROUP BY c.article_id, c.day, a.published
            """,
            "CREATE INDEX timeline_candidates_article ON timeline_candidates (article_id)",
            # Every distinct actor as the language layer resolved it (lower case), and the articles naming each:
            # "articles naming an actor" matches a few thousand names, then joins on an integer key.
            """
            CREATE TABLE actor_names (
                key INTEGER PRIMARY KEY,
                code VARCHAR,
                name VARCHAR,
                actor_id VARCHAR
            )
            """,
            """
            INSERT INTO actor_names
            SELECT row_number() OVER (ORDER BY code, name, actor_id), code, name, actor_id
            FROM (SELECT DISTINCT lower(code) AS code, lower(name) AS name, lower(actor_id) AS actor_id FROM mentions
                  WHERE kind = 'actor')
            """,
            "CREATE TABLE article_actors (article_id VARCHAR NOT NULL, key INTEGER NOT NULL)",
            """
            INSERT INTO article_actors
            SELECT DISTINCT m.article_id, k.key FROM mentions m JOIN actor_names k
            ON k.code IS NOT DISTINCT FROM lower(m.code) AND k.name IS NOT DISTINCT FROM lower(m.name)
            AND k.actor_id IS NOT DISTINCT FROM lower(m.actor_id) WHERE m.kind = 'actor'
            """,
            "CREATE INDEX article_actors_article ON article_actors (article_id)",
            # Vectors (wordllama, float16, row-major) and word counts of each timeline_candidates row's sentences,
            # computed when stories are updated; a timeline reads them instead of embedding on every request.
            """
            CREATE TABLE timeline_vectors (
                article_id VARCHAR NOT NULL,
                day DATE NOT NULL,
                words INTEGER[] NOT NULL,         -- lengths in words (\\w+), for the timeline's length rule
                vectors BLOB NOT NULL             -- one row per sentence of the candidates row, in its order
            )
            """,
            "CREATE INDEX timeline_vectors_article ON timeline_vectors (article_id)",
            # Characters of the raw text, so `stats` sums a column instead of reading every text.
            "ALTER TABLE articles ADD COLUMN raw_chars INTEGER",
            "UPDATE articles SET raw_chars = length(raw_text)",
        ],
    ),
    (
        6,
        "timeline tables in day order, candidate texts stored uncompressed",
        rewrite_by_day("timeline_candidates") + rewrite_by_day("timeline_vectors") + [CLUSTERED_ROWS],
    ),
]
