"""Where the three databases' full-text engines differ: one small place for all of it.

Every published article has one row in `article_search` (title, tag names,
description, and its body as plain text), written by the services in the
same transaction as the article (`inkwell.services.search_index`). Each
engine indexes that row its own way:

- **SQLite:** an FTS5 table over it, external content (`content=`): the
  index alone is stored, not the text twice, while `snippet()` still reads
  the text it needs. Triggers keep it in step with the rows (a cascaded
  delete fires them too). The porter tokenizer stems English; diacritics are
  folded.
- **PostgreSQL:** a stored generated `tsvector` column (title and tags
  weighted A, description B, body C) with a GIN index, in the language of
  `INKWELL_SEARCH_LANGUAGE`; `ts_rank_cd` ranks, `ts_headline` marks the
  shown page only.
- **MariaDB:** InnoDB `FULLTEXT` indexes in boolean mode, one over title and
  tags (to rank those first) and one over everything. No stemming. Words
  shorter than `innodb_ft_min_token_size` (3 by default, a server setting)
  are not indexed, so the terms written here leave them out rather than
  require what cannot match; the indexes are built without a stop-word list,
  so "the" and "who" are found. The table compares case- and
  accent-insensitively (`utf8mb4_unicode_ci`), as a reader expects.

Queries arrive as `Terms`, words only (`inkwell.search_terms`), and leave as
each engine's syntax with every word quoted or bound, so no reader's text
reaches an engine's parser as operators.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql

from inkwell.dialects import family
from inkwell.search_terms import Term, Terms

TABLE = "article_search"
COLUMNS = ("title", "tags", "description", "body")
# Text a snippet marks is wrapped in these; indexed text never holds them
# (`search_index.plain`), so they cannot come from an article.
MARK_START = "\x02"
MARK_END = "\x03"

SQLITE_TABLE = "article_search_fts"
SQLITE_TRIGGERS = ("article_search_ai", "article_search_ad", "article_search_au")
SQLITE_WEIGHTS = (10.0, 8.0, 4.0, 1.0)  # bm25() per column, in COLUMNS order
POSTGRESQL_COLUMN = "document"
POSTGRESQL_INDEX = "ix_article_search_document"
MYSQL_TITLE_INDEX = "ix_article_search_title_tags"
MYSQL_ALL_INDEX = "ix_article_search_everything"
MYSQL_WORD_MIN = 3  # innodb_ft_min_token_size's default
MYSQL_TITLE_WEIGHT = 4.0
PHRASE_BONUS = 2.0  # a rank's factor where the loose words stand side by side
SNIPPET_WORDS = 32


def engine_objects(dialect_name: str) -> set[str]:
    """Names of what the engine adds beyond the `article_search` model: tables,
    columns and indexes the models do not describe and schema comparison
    must leave alone (`inkwell db check`, `tests/db/test_migrations.py`)."""
    match family(dialect_name):
        case "sqlite":
            suffixes = ("", "_data", "_idx", "_docsize", "_config", "_content")
            return {SQLITE_TABLE + suffix for suffix in suffixes}
        case "postgresql":
            return {POSTGRESQL_COLUMN, POSTGRESQL_INDEX}
        case _:
            return {MYSQL_TITLE_INDEX, MYSQL_ALL_INDEX}


def described_by_models(
    item: object, name: str | None, kind: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic's `include_object`: False for what an engine built beside the
    models, which comparing the schema with them must not call drift."""
    if not reflected or compare_to is not None or name is None:
        return True
    if kind == "column":
        table = getattr(getattr(item, "table", None), "name", None)
        return not (name in _ANY_ENGINES_OBJECTS and table == TABLE)
    return name not in _ANY_ENGINES_OBJECTS


_ANY_ENGINES_OBJECTS = frozenset().union(
    *(engine_objects(name) for name in ("sqlite", "postgresql", "mysql"))
)


@dataclass(frozen=True, slots=True)
class Matching:
    """How one engine finds and ranks the articles matching some terms.

    `source` joined with `where` gives one row per matching article, whose
    id is `article_id`; `rank` is higher for a better match. `snippet(id)` is
    a scalar subquery for one article of the page being shown: a passage of
    its body, its matched words between `MARK_START` and `MARK_END` (on
    MariaDB a window of text that `marked` then marks).
    """

    source: sa.FromClause
    article_id: sa.ColumnElement[int]
    where: sa.ColumnElement[bool]
    rank: sa.ColumnElement[float]
    snippet: Callable[[sa.ColumnElement[int]], sa.ColumnElement[str]]


def matching(dialect: sa.Dialect, terms: Terms, language: str) -> Matching:
    """The engine of `dialect` looking for `terms`."""
    match family(dialect.name):
        case "sqlite":
            return _sqlite(terms)
        case "postgresql":
            return _postgresql(terms, language)
        case _:
            return _mysql(terms)


def marked(dialect: sa.Dialect, terms: Terms, text: str) -> str:
    """A snippet's text with its matched words marked: as the engine marked them,
    or, on MariaDB, which has no snippets, marked here in the window it read."""
    if family(dialect.name) != "mysql":
        return text
    return mark_words(terms, text)


# SQLite


_fts = sa.table(
    SQLITE_TABLE,
    sa.column("rowid", sa.Integer()),
    sa.column(SQLITE_TABLE),  # FTS5's hidden column named after its table
)


def _sqlite(terms: Terms) -> Matching:
    hidden = _fts.c[SQLITE_TABLE]
    where = hidden.op("MATCH")(sa.bindparam("match", _fts5_query(terms)))
    rank: sa.ColumnElement[float] = -sa.func.bm25(hidden, *SQLITE_WEIGHTS)
    phrase = terms.loose_phrase
    if phrase:
        side_by_side = (
            sa.select(_fts.c.rowid)
            .where(hidden.op("MATCH")(sa.bindparam("phrase", _fts5_term(Term(phrase)))))
            .correlate(None)
        )
        rank = rank * sa.case((_fts.c.rowid.in_(side_by_side), PHRASE_BONUS), else_=1.0)

    def snippet(article_id: sa.ColumnElement[int]) -> sa.ColumnElement[str]:
        return (
            sa.select(
                sa.func.snippet(
                    hidden, COLUMNS.index("body"), MARK_START, MARK_END, "…", SNIPPET_WORDS
                )
            )
            .where(where, _fts.c.rowid == article_id)
            .correlate_except(_fts)
            .scalar_subquery()
        )

    return Matching(_fts, _fts.c.rowid, where, rank, snippet)


def _fts5_query(terms: Terms) -> str:
    """FTS5's query syntax: every word a quoted string, so none is an operator."""
    groups = ["(" + " OR ".join(_fts5_term(term) for term in group) + ")" for group in terms.groups]
    query = "(" + " AND ".join(groups) + ")"
    return query + "".join(f" NOT {_fts5_term(term)}" for term in terms.excluded)


def _fts5_term(term: Term) -> str:
    # Words hold letters and digits only; quotes are doubled all the same.
    quoted = '"' + " ".join(term.words).replace('"', '""') + '"'
    return quoted + " *" if term.prefix else quoted


# PostgreSQL


_document = sa.table(
    TABLE,
    sa.column("article_id", sa.Integer()),
    sa.column("body", sa.Text()),
    sa.column(POSTGRESQL_COLUMN, postgresql.TSVECTOR()),
)


def _postgresql(terms: Terms, language: str) -> Matching:
    config = sa.cast(sa.bindparam("language", language, sa.Text()), postgresql.REGCONFIG)
    query = _tsquery(terms, config)
    document = _document.c[POSTGRESQL_COLUMN]
    rank: sa.ColumnElement[float] = sa.func.ts_rank_cd(document, query, type_=sa.Float())
    phrase = terms.loose_phrase
    if phrase:
        side_by_side = document.op("@@")(sa.func.phraseto_tsquery(config, " ".join(phrase)))
        rank = rank * sa.case((side_by_side, PHRASE_BONUS), else_=1.0)
    shown = _document.alias("shown")
    options = (
        f"StartSel={MARK_START}, StopSel={MARK_END}, "
        f"MaxWords={SNIPPET_WORDS}, MinWords={SNIPPET_WORDS // 2}"
    )

    def snippet(article_id: sa.ColumnElement[int]) -> sa.ColumnElement[str]:
        return (
            sa.select(sa.func.ts_headline(config, shown.c.body, query, options))
            .where(shown.c.article_id == article_id)
            .scalar_subquery()
        )

    return Matching(_document, _document.c.article_id, document.op("@@")(query), rank, snippet)


def _tsquery(terms: Terms, config: sa.ColumnElement[str]) -> sa.ColumnElement[str]:
    """The terms as a `tsquery`, built with functions from bound words: the words
    never pass through `to_tsquery`'s operator syntax except a prefix, quoted."""

    def one(term: Term) -> sa.ColumnElement[str]:
        if term.prefix:
            # A quoted lexeme with a prefix mark; the word holds no quote.
            return sa.func.to_tsquery(config, f"'{term.words[0]}':*")
        if term.is_phrase:
            return sa.func.phraseto_tsquery(config, " ".join(term.words))
        return sa.func.plainto_tsquery(config, term.words[0])

    def either(group: tuple[Term, ...]) -> sa.ColumnElement[str]:
        query = one(group[0])
        for term in group[1:]:
            query = sa.func.tsquery_or(query, one(term))
        return query

    query = either(terms.groups[0])
    for group in terms.groups[1:]:
        query = sa.func.tsquery_and(query, either(group))
    for term in terms.excluded:
        query = sa.func.tsquery_and(query, sa.func.tsquery_not(one(term)))
    return query


# MariaDB and MySQL


_row = sa.table(TABLE, *(sa.column(name, sa.Text()) for name in COLUMNS), sa.column("article_id"))
_WINDOW = 480  # characters read around the first match, for a snippet
_LEAD = 160
_SHOWN = 240  # characters of the window a snippet shows


def _mysql(terms: Terms) -> Matching:
    boolean = _boolean_query(terms)
    if boolean is None:  # every word too short for the index: nothing can match
        return Matching(_row, _row.c.article_id, sa.false(), sa.literal(0.0), _no_snippet)
    against: sa.BindParameter[str] = sa.bindparam("against", boolean)
    everything = mysql.match(*(_row.c[name] for name in COLUMNS), against=against)
    title = mysql.match(_row.c.title, _row.c.tags, against=against)
    rank = title.in_boolean_mode() * MYSQL_TITLE_WEIGHT + everything.in_boolean_mode()
    phrase = terms.loose_phrase
    if phrase:
        side_by_side = mysql.match(
            *(_row.c[name] for name in COLUMNS),
            against=sa.bindparam("phrase", _boolean_term(Term(phrase))),
        ).in_boolean_mode()
        rank = rank * sa.case((side_by_side > 0, PHRASE_BONUS), else_=1.0)
    first = next(
        (word for term in terms.wanted for word in term.words if len(word) >= MYSQL_WORD_MIN),
        terms.wanted[0].words[0],
    )
    shown = _row.alias("shown")

    def snippet(article_id: sa.ColumnElement[int]) -> sa.ColumnElement[str]:
        at = sa.func.locate(sa.bindparam("first", first), shown.c.body)
        start = sa.func.greatest(at - _LEAD, 1)
        return (
            sa.select(sa.func.substring(shown.c.body, start, _WINDOW))
            .where(shown.c.article_id == article_id)
            .scalar_subquery()
        )

    return Matching(_row, _row.c.article_id, everything.in_boolean_mode(), rank, snippet)


def _no_snippet(article_id: sa.ColumnElement[int]) -> sa.ColumnElement[str]:
    return sa.literal("")


def _boolean_query(terms: Terms) -> str | None:
    """Boolean mode's syntax: `+` for each group that must match, `-` for each
    excluded term, words bare and phrases quoted. Words the index leaves out
    (too short) are left out here too: required, they would match nothing."""
    parts = []
    for group in terms.groups:
        alternatives = [_boolean_term(term) for term in group if _indexed(term)]
        if len(alternatives) == 1:
            parts.append("+" + alternatives[0])
        elif alternatives:
            parts.append("+(" + " ".join(alternatives) + ")")
    if not parts:
        return None
    parts += ["-" + _boolean_term(term) for term in terms.excluded if _indexed(term)]
    return " ".join(parts)


def _indexed(term: Term) -> bool:
    return term.is_phrase or term.prefix or len(term.words[0]) >= MYSQL_WORD_MIN


def _boolean_term(term: Term) -> str:
    if term.is_phrase:
        return '"' + " ".join(term.words) + '"'
    return term.words[0] + ("*" if term.prefix else "")


def mark_words(terms: Terms, text: str) -> str:
    """Mark the wanted words (as written, or begun, for a prefix) in `text`, and
    trim it to whole words around the first: a snippet made in Python, for
    MariaDB and for a description, without the engines' stemming."""
    words = {word for term in terms.wanted for word in term.words}
    prefixes = {term.words[0] for term in terms.wanted if term.prefix}
    alternatives = [re.escape(word) + r"\w*" for word in sorted(prefixes)]
    alternatives += [re.escape(word) + r"(?!\w)" for word in sorted(words - prefixes)]
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + ")", re.IGNORECASE)
    found = pattern.search(text)
    start = 0
    if found and found.start() > _LEAD // 2:
        start = text.find(" ", found.start() - _LEAD // 2) + 1
    end = len(text)
    if end > start + _SHOWN:
        end = text.rfind(" ", start, start + _SHOWN)
        end = end if end > start else start + _SHOWN
    window = pattern.sub(lambda hit: MARK_START + hit.group(0) + MARK_END, text[start:end])
    return ("… " if start else "") + window.strip() + (" …" if end < len(text) else "")


# The engines' structures, as operators repair and check them.


_POSTGRESQL_INDEX_DDL = (
    f"CREATE INDEX {POSTGRESQL_INDEX} ON {TABLE} USING gin ({POSTGRESQL_COLUMN})"
)


def postgresql_structures(language: str) -> list[str]:
    """PostgreSQL's document column and its index in `language`, a checked name
    (`config._search_language`): letters and underscores only."""
    weighted = " || ".join(
        f"setweight(to_tsvector('{language}'::regconfig, coalesce({column}, '')), '{weight}')"
        for column, weight in [("title", "A"), ("tags", "A"), ("description", "B"), ("body", "C")]
    )
    return [
        f"ALTER TABLE {TABLE} ADD COLUMN {POSTGRESQL_COLUMN} tsvector "
        f"GENERATED ALWAYS AS ({weighted}) STORED",
        _POSTGRESQL_INDEX_DDL,
    ]


def rebuild_structures(connection: sa.Connection, language: str) -> list[str]:
    """On PostgreSQL, rebuild the document column if it was made in another
    language than `language` (every row's document is then computed anew);
    what was done."""
    if connection.dialect.name != "postgresql":
        return []
    built = postgresql_language(connection)
    if built == language:
        return []
    done = []
    if built is not None:
        connection.exec_driver_sql(f"DROP INDEX IF EXISTS {POSTGRESQL_INDEX}")
        connection.exec_driver_sql(f"ALTER TABLE {TABLE} DROP COLUMN {POSTGRESQL_COLUMN}")
        done.append(f"dropped the document column made in {built!r}")
    for statement in postgresql_structures(language):
        connection.exec_driver_sql(statement)
    done.append(f"built the document column and its index in {language!r}")
    return done


@contextmanager
def index_rebuilt_after(connection: sa.Connection) -> Iterator[None]:
    """On PostgreSQL, drop the GIN index for a bulk load and build it once after:
    one sorted build instead of a million insertions. Elsewhere, nothing."""
    if connection.dialect.name != "postgresql":
        yield
        return
    connection.exec_driver_sql(f"DROP INDEX {POSTGRESQL_INDEX}")
    yield
    connection.exec_driver_sql(_POSTGRESQL_INDEX_DDL)


def tidy(connection: sa.Connection) -> list[str]:
    """After a bulk rewrite: SQLite rebuilds its FTS index from the rows (which
    also repairs one that drifted), PostgreSQL refreshes the table's
    statistics; what was done."""
    match family(connection.dialect.name):
        case "sqlite":
            connection.exec_driver_sql(
                "INSERT INTO article_search_fts(article_search_fts) VALUES ('rebuild')"
            )
            return ["rebuilt the FTS5 index from the rows"]
        case "postgresql":
            connection.exec_driver_sql(f"ANALYZE {TABLE}")
            return [f"analyzed {TABLE}"]
        case _:
            return []


_BUILT_IN = re.compile(r"to_tsvector\('(?P<language>[^']+)'::regconfig")


def postgresql_language(connection: sa.Connection) -> str | None:
    """The language PostgreSQL's document column was made in; None without one."""
    expression = connection.execute(
        sa.text(
            "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d "
            "JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum "
            "WHERE d.adrelid = CAST(:table AS regclass) AND a.attname = :column"
        ),
        {"table": TABLE, "column": POSTGRESQL_COLUMN},
    ).scalar()
    found = _BUILT_IN.search(expression or "")
    return found["language"] if found else None


def problems(connection: sa.Connection, language: str) -> list[str]:
    """What is wrong with the engine's structures: missing, built for another
    language, or (SQLite's own check) an index that disagrees with the rows."""
    match family(connection.dialect.name):
        case "sqlite":
            return _sqlite_problems(connection)
        case "postgresql":
            return _postgresql_problems(connection, language)
        case _:
            return _mysql_problems(connection)


def _sqlite_problems(connection: sa.Connection) -> list[str]:
    present = set(
        connection.execute(
            sa.text("SELECT name FROM sqlite_master WHERE name IN (:table, :ai, :ad, :au)"),
            dict(zip(["table", "ai", "ad", "au"], [SQLITE_TABLE, *SQLITE_TRIGGERS], strict=True)),
        ).scalars()
    )
    missing = [name for name in (SQLITE_TABLE, *SQLITE_TRIGGERS) if name not in present]
    if missing:
        return [f"missing: {', '.join(missing)} (run `inkwell db upgrade`)"]
    try:
        with connection.begin_nested():
            connection.exec_driver_sql(
                "INSERT INTO article_search_fts(article_search_fts, rank) "
                "VALUES ('integrity-check', 1)"
            )
    except sa.exc.DatabaseError as err:
        return [
            f"the FTS5 index disagrees with the rows ({err.orig}): run `inkwell search reindex`"
        ]
    return []


def _postgresql_problems(connection: sa.Connection, language: str) -> list[str]:
    found = []
    known = connection.execute(
        sa.text("SELECT 1 FROM pg_ts_config WHERE cfgname = :language"), {"language": language}
    ).scalar()
    if not known:
        found.append(f"INKWELL_SEARCH_LANGUAGE={language!r} is not a text search configuration")
    built = postgresql_language(connection)
    if built is None:
        found.append("missing: the document column (run `inkwell search reindex`)")
    elif built != language:
        found.append(
            f"the index is in {built!r}, the setting says {language!r}: "
            "run `inkwell search reindex`"
        )
    valid = connection.execute(
        sa.text(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = :index"
        ),
        {"index": POSTGRESQL_INDEX},
    ).scalar()
    if valid is None:
        found.append(f"missing: the index {POSTGRESQL_INDEX} (run `inkwell search reindex`)")
    elif not valid:
        found.append(f"the index {POSTGRESQL_INDEX} is not valid: rebuild it with REINDEX")
    return found


def _mysql_problems(connection: sa.Connection) -> list[str]:
    present = set(
        connection.execute(
            sa.text(
                "SELECT DISTINCT index_name FROM information_schema.statistics "
                "WHERE table_schema = DATABASE() AND table_name = :table "
                "AND index_type = 'FULLTEXT'"
            ),
            {"table": TABLE},
        ).scalars()
    )
    missing = [name for name in (MYSQL_TITLE_INDEX, MYSQL_ALL_INDEX) if name not in present]
    return (
        [f"missing: the FULLTEXT index {', '.join(missing)} (run `inkwell db upgrade`)"]
        if missing
        else []
    )
