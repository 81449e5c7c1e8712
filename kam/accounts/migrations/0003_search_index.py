"""The full-text search index of accounts and contacts, kept in sync by triggers.

SQLite: per entity an FTS5 table of words (unicode61, 2-letter prefix index; it also stores the
indexed text, so a row can always be removed from the index exactly as it was added), a
contentless FTS5 trigram table for substrings (accounts: names and identifiers: e-mails, phones,
tax numbers, domain; contacts: phones, their e-mails being words), and an fts5vocab table of the
words for typo tolerance.
PostgreSQL: per entity a search table (tsvector for words, lower-cased text for pg_trgm) with GIN
indexes. On both, triggers keep the index in step with every write, whoever makes it (services,
imports, the demo's raw INSERTs, the merge), and rows in the trash (or contacts of an account in
the trash) are not in it. Other database engines get no index; search then finds nothing there.

The SQL lives here, not in kam.accounts.search, so that this migration never changes.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

# --- SQLite --------------------------------------------------------------------------------


def _json_words(column: str, strip: str = "") -> str:
    value = "replace(value, '+', '')" if strip else "value"
    return (
        f"coalesce((SELECT group_concat({value}, ' ') FROM json_each("
        f"CASE WHEN json_valid({column}) THEN {column} ELSE '[]' END)), '')"
    )


SQLITE_ACCOUNT_COLUMNS = (
    "name, legal_name, name_key, notes, tax_number, registration_number, domain, emails, phones, "
    "deleted_at"
)
SQLITE_CONTACT_COLUMNS = (
    "first_name, middle_name, last_name, job_title, notes, emails, phones, deleted_at, account_id"
)


def _changed(columns: str) -> str:
    return " OR ".join(f"old.{c} IS NOT new.{c}" for c in columns.replace(" ", "").split(","))


def _unindex_account(key: str) -> str:
    return f"""
    INSERT INTO accounts_account_trgm(accounts_account_trgm, rowid, names, ids)
        SELECT 'delete', rowid, names, ids FROM accounts_account_fts WHERE rowid = {key};
    DELETE FROM accounts_account_fts WHERE rowid = {key};"""


# Both tables are filled from the view: reading the words table back inside the trigger would
# make FTS5 flush its pending writes on every row (bulk inserts became ten times slower).
def _index_account(key: str) -> str:
    return f"""
    INSERT INTO accounts_account_fts(rowid, names, notes, ids)
        SELECT id, names, notes, ids FROM accounts_account_search_src WHERE id = {key};
    INSERT INTO accounts_account_trgm(rowid, names, ids)
        SELECT id, names, ids FROM accounts_account_search_src WHERE id = {key};"""


def _unindex_contacts(where: str) -> str:
    return f"""
    INSERT INTO accounts_contact_trgm(accounts_contact_trgm, rowid, phones)
        SELECT 'delete', rowid, phones FROM accounts_contact_fts WHERE rowid IN ({where});
    DELETE FROM accounts_contact_fts WHERE rowid IN ({where});"""


def _index_contacts(where: str) -> str:
    return f"""
    INSERT INTO accounts_contact_fts(rowid, names, title, account, emails, notes, phones)
        SELECT id, names, title, account, emails, notes, phones FROM accounts_contact_search_src
        WHERE id IN ({where});
    INSERT INTO accounts_contact_trgm(rowid, phones)
        SELECT id, phones FROM accounts_contact_search_src WHERE id IN ({where});"""


_CONTACTS_OF_NEW = "SELECT id FROM accounts_contact WHERE account_id = new.id"

SQLITE_FORWARD = [
    """CREATE VIRTUAL TABLE accounts_account_fts USING fts5(
        names, notes, ids UNINDEXED,
        tokenize = 'unicode61 remove_diacritics 2', prefix = '2', detail = 'column')""",
    """CREATE VIRTUAL TABLE accounts_account_trgm USING fts5(
        names, ids, content = '', tokenize = 'trigram')""",
    "CREATE VIRTUAL TABLE accounts_account_fts_vocab USING fts5vocab(accounts_account_fts, 'row')",
    """CREATE VIRTUAL TABLE accounts_contact_fts USING fts5(
        names, title, account, emails, notes, phones UNINDEXED,
        tokenize = 'unicode61 remove_diacritics 2', prefix = '2', detail = 'column')""",
    """CREATE VIRTUAL TABLE accounts_contact_trgm USING fts5(
        phones, content = '', tokenize = 'trigram')""",
    "CREATE VIRTUAL TABLE accounts_contact_fts_vocab USING fts5vocab(accounts_contact_fts, 'row')",
    f"""CREATE VIEW accounts_account_search_src AS
    SELECT a.id AS id,
        trim(a.name || ' ' || a.legal_name || ' ' || a.name_key) AS names,
        a.notes AS notes,
        trim(a.tax_number || ' ' || a.registration_number || ' ' || a.domain || ' '
            || {_json_words("a.emails")} || ' ' || {_json_words("a.phones", "+")}) AS ids
    FROM accounts_account a
    WHERE a.deleted_at IS NULL""",
    f"""CREATE VIEW accounts_contact_search_src AS
    SELECT c.id AS id, c.account_id AS account_id,
        trim(c.first_name || ' ' || c.middle_name || ' ' || c.last_name) AS names,
        c.job_title AS title,
        trim(a.name || ' ' || a.name_key) AS account,
        {_json_words("c.emails")} AS emails,
        c.notes AS notes,
        {_json_words("c.phones", "+")} AS phones
    FROM accounts_contact c JOIN accounts_account a ON a.id = c.account_id
    WHERE c.deleted_at IS NULL AND a.deleted_at IS NULL""",
    # Accounts. A new account also indexes contacts written before it (loaddata, any order).
    f"""CREATE TRIGGER accounts_account_search_ai AFTER INSERT ON accounts_account BEGIN
    {_index_account("new.id")}
    {_index_contacts(_CONTACTS_OF_NEW)}
    END""",
    f"""CREATE TRIGGER accounts_account_search_au
    AFTER UPDATE OF {SQLITE_ACCOUNT_COLUMNS} ON accounts_account
    WHEN {_changed(SQLITE_ACCOUNT_COLUMNS)} BEGIN
    {_unindex_account("old.id")}
    {_index_account("new.id")}
    END""",
    # Contacts carry their account's name, and leave the index with an account in the trash.
    f"""CREATE TRIGGER accounts_account_search_contacts_au
    AFTER UPDATE OF name, name_key, deleted_at ON accounts_account
    WHEN {_changed("name, name_key, deleted_at")} BEGIN
    {_unindex_contacts(_CONTACTS_OF_NEW)}
    {_index_contacts(_CONTACTS_OF_NEW)}
    END""",
    f"""CREATE TRIGGER accounts_account_search_ad AFTER DELETE ON accounts_account BEGIN
    {_unindex_account("old.id")}
    END""",
    f"""CREATE TRIGGER accounts_contact_search_ai AFTER INSERT ON accounts_contact BEGIN
    {_index_contacts("new.id")}
    END""",
    f"""CREATE TRIGGER accounts_contact_search_au
    AFTER UPDATE OF {SQLITE_CONTACT_COLUMNS} ON accounts_contact
    WHEN {_changed(SQLITE_CONTACT_COLUMNS)} BEGIN
    {_unindex_contacts("old.id")}
    {_index_contacts("new.id")}
    END""",
    f"""CREATE TRIGGER accounts_contact_search_ad AFTER DELETE ON accounts_contact BEGIN
    {_unindex_contacts("old.id")}
    END""",
    # What is already there.
    """INSERT INTO accounts_account_fts(rowid, names, notes, ids)
        SELECT id, names, notes, ids FROM accounts_account_search_src""",
    """INSERT INTO accounts_account_trgm(rowid, names, ids)
        SELECT rowid, names, ids FROM accounts_account_fts""",
    """INSERT INTO accounts_contact_fts(rowid, names, title, account, emails, notes, phones)
        SELECT id, names, title, account, emails, notes, phones FROM accounts_contact_search_src""",
    """INSERT INTO accounts_contact_trgm(rowid, phones)
        SELECT rowid, phones FROM accounts_contact_fts""",
]
SQLITE_REVERSE = [
    *(
        f"DROP TRIGGER IF EXISTS {name}"
        for name in (
            "accounts_account_search_ai",
            "accounts_account_search_au",
            "accounts_account_search_contacts_au",
            "accounts_account_search_ad",
            "accounts_contact_search_ai",
            "accounts_contact_search_au",
            "accounts_contact_search_ad",
        )
    ),
    "DROP VIEW IF EXISTS accounts_contact_search_src",
    "DROP VIEW IF EXISTS accounts_account_search_src",
    "DROP TABLE IF EXISTS accounts_contact_fts_vocab",
    "DROP TABLE IF EXISTS accounts_contact_trgm",
    "DROP TABLE IF EXISTS accounts_contact_fts",
    "DROP TABLE IF EXISTS accounts_account_fts_vocab",
    "DROP TABLE IF EXISTS accounts_account_trgm",
    "DROP TABLE IF EXISTS accounts_account_fts",
]

# --- PostgreSQL ----------------------------------------------------------------------------


def _pg_json_words(column: str, strip: str = "") -> str:
    value = "replace(e, '+', '')" if strip else "e"
    return (
        f"coalesce((SELECT string_agg({value}, ' ') FROM jsonb_array_elements_text("
        f"CASE WHEN jsonb_typeof({column}) = 'array' THEN {column} ELSE '[]'::jsonb END) AS e), '')"
    )


PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """CREATE TABLE accounts_account_search (
        account_id bigint PRIMARY KEY,
        words tsvector NOT NULL,
        names text NOT NULL,
        ids text NOT NULL)""",
    "CREATE INDEX accounts_account_search_words ON accounts_account_search USING gin (words)",
    """CREATE INDEX accounts_account_search_names ON accounts_account_search
        USING gin (names gin_trgm_ops)""",
    """CREATE INDEX accounts_account_search_ids ON accounts_account_search
        USING gin (ids gin_trgm_ops)""",
    """CREATE TABLE accounts_contact_search (
        contact_id bigint PRIMARY KEY,
        account_id bigint NOT NULL,
        words tsvector NOT NULL,
        names text NOT NULL,
        ids text NOT NULL)""",
    "CREATE INDEX accounts_contact_search_account ON accounts_contact_search (account_id)",
    "CREATE INDEX accounts_contact_search_words ON accounts_contact_search USING gin (words)",
    """CREATE INDEX accounts_contact_search_names ON accounts_contact_search
        USING gin (names gin_trgm_ops)""",
    """CREATE INDEX accounts_contact_search_ids ON accounts_contact_search
        USING gin (ids gin_trgm_ops)""",
    f"""CREATE FUNCTION accounts_search_index_accounts(keys bigint[]) RETURNS void AS $$
    BEGIN
        DELETE FROM accounts_account_search WHERE account_id = ANY(keys);
        INSERT INTO accounts_account_search (account_id, words, names, ids)
        SELECT a.id,
            setweight(to_tsvector('simple', a.name || ' ' || a.legal_name || ' ' || a.name_key),
                'A') || setweight(to_tsvector('simple', a.notes), 'D'),
            lower(a.name || ' ' || a.legal_name || ' ' || a.name_key),
            lower(a.tax_number || ' ' || a.registration_number || ' ' || a.domain || ' '
                || {_pg_json_words("a.emails")} || ' ' || {_pg_json_words("a.phones", "+")})
        FROM accounts_account a
        WHERE a.id = ANY(keys) AND a.deleted_at IS NULL;
    END $$ LANGUAGE plpgsql""",
    f"""CREATE FUNCTION accounts_search_index_contacts(keys bigint[]) RETURNS void AS $$
    BEGIN
        DELETE FROM accounts_contact_search WHERE contact_id = ANY(keys);
        INSERT INTO accounts_contact_search (contact_id, account_id, words, names, ids)
        SELECT c.id, c.account_id,
            setweight(to_tsvector('simple',
                c.first_name || ' ' || c.middle_name || ' ' || c.last_name), 'A')
            || setweight(to_tsvector('simple', c.job_title), 'B')
            || setweight(to_tsvector('simple', a.name || ' ' || a.name_key), 'C')
            || setweight(to_tsvector('simple', c.notes), 'D'),
            lower(c.first_name || ' ' || c.middle_name || ' ' || c.last_name || ' '
                || a.name || ' ' || a.name_key),
            lower({_pg_json_words("c.emails")} || ' ' || {_pg_json_words("c.phones", "+")})
        FROM accounts_contact c JOIN accounts_account a ON a.id = c.account_id
        WHERE c.id = ANY(keys) AND c.deleted_at IS NULL AND a.deleted_at IS NULL;
    END $$ LANGUAGE plpgsql""",
    """CREATE FUNCTION accounts_account_search_sync() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            DELETE FROM accounts_account_search WHERE account_id = OLD.id;
            RETURN NULL;
        END IF;
        PERFORM accounts_search_index_accounts(ARRAY[NEW.id]);
        IF TG_OP = 'INSERT' OR OLD.name IS DISTINCT FROM NEW.name
                OR OLD.name_key IS DISTINCT FROM NEW.name_key
                OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at THEN
            PERFORM accounts_search_index_contacts(
                ARRAY(SELECT id FROM accounts_contact WHERE account_id = NEW.id));
        END IF;
        RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    """CREATE FUNCTION accounts_contact_search_sync() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            DELETE FROM accounts_contact_search WHERE contact_id = OLD.id;
        ELSE
            PERFORM accounts_search_index_contacts(ARRAY[NEW.id]);
        END IF;
        RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    """CREATE FUNCTION accounts_search_truncate() RETURNS trigger AS $$
    BEGIN
        IF TG_TABLE_NAME = 'accounts_account' THEN
            TRUNCATE accounts_account_search;
        END IF;
        TRUNCATE accounts_contact_search;
        RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER accounts_account_search_sync
    AFTER INSERT OR DELETE OR UPDATE OF name, legal_name, name_key, notes, tax_number,
        registration_number, domain, emails, phones, deleted_at
    ON accounts_account FOR EACH ROW EXECUTE FUNCTION accounts_account_search_sync()""",
    """CREATE TRIGGER accounts_contact_search_sync
    AFTER INSERT OR DELETE OR UPDATE OF first_name, middle_name, last_name, job_title, notes,
        emails, phones, deleted_at, account_id
    ON accounts_contact FOR EACH ROW EXECUTE FUNCTION accounts_contact_search_sync()""",
    """CREATE TRIGGER accounts_account_search_truncate AFTER TRUNCATE ON accounts_account
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_search_truncate()""",
    """CREATE TRIGGER accounts_contact_search_truncate AFTER TRUNCATE ON accounts_contact
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_search_truncate()""",
    "SELECT accounts_search_index_accounts(ARRAY(SELECT id FROM accounts_account))",
    "SELECT accounts_search_index_contacts(ARRAY(SELECT id FROM accounts_contact))",
]
PG_REVERSE = [
    "DROP TRIGGER IF EXISTS accounts_contact_search_truncate ON accounts_contact",
    "DROP TRIGGER IF EXISTS accounts_account_search_truncate ON accounts_account",
    "DROP TRIGGER IF EXISTS accounts_contact_search_sync ON accounts_contact",
    "DROP TRIGGER IF EXISTS accounts_account_search_sync ON accounts_account",
    "DROP FUNCTION IF EXISTS accounts_search_truncate()",
    "DROP FUNCTION IF EXISTS accounts_contact_search_sync()",
    "DROP FUNCTION IF EXISTS accounts_account_search_sync()",
    "DROP FUNCTION IF EXISTS accounts_search_index_contacts(bigint[])",
    "DROP FUNCTION IF EXISTS accounts_search_index_accounts(bigint[])",
    "DROP TABLE IF EXISTS accounts_contact_search",
    "DROP TABLE IF EXISTS accounts_account_search",
]

STATEMENTS = {
    "sqlite": (SQLITE_FORWARD, SQLITE_REVERSE),
    "postgresql": (PG_FORWARD, PG_REVERSE),
}


def _run(schema_editor: Any, *, forward: bool) -> None:
    statements = STATEMENTS.get(schema_editor.connection.vendor)
    if statements is None:
        return
    for sql in statements[0 if forward else 1]:
        schema_editor.execute(sql, params=None)


def create_index(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, forward=True)


def drop_index(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, forward=False)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_match_keys_saved_filters_import_jobs")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
