"""Articles: writing, drafts, slugs, lists, feeds, favorites and tags."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from inkwell.models import Article, Comment, Counter, Favorite, Tag, User, article_tags
from inkwell.queries import articles as q
from inkwell.services import articles as article_service
from inkwell.services import slugs as slug_service
from inkwell.services import tag_links, totals
from inkwell.services.articles import (
    ArticleDraft,
    ArticleEdit,
    create_article,
    delete_article,
    get_article,
    publish_article,
    update_article,
)
from inkwell.services.comments import add_comment
from inkwell.services.errors import Forbidden, Invalid, NotFound
from inkwell.services.favorites import favorite_article, unfavorite_article
from inkwell.services.listing import (
    ArticleFilters,
    Cursor,
    browse_articles,
    feed,
    latest_articles,
    list_articles,
    list_drafts,
)
from inkwell.services.profiles import follow_user
from inkwell.services.tags import TAG_CHARACTERS, list_tags, popular_tags
from inkwell.services.validation import CONTROL, HIDDEN_MESSAGE, UNSET
from tests.conftest import stale_tag_links

MakeUser = Callable[..., User]
MakeArticle = Callable[..., Article]


def draft(title: str = "Hello world", tags: tuple[str, ...] = ()) -> ArticleDraft:
    return ArticleDraft(title=title, description="About it", body="# Hi\n\nText.", tags=tags)


def test_create_article(make_user: MakeUser, session: sa.orm.Session) -> None:
    author = make_user()
    view = create_article(author, draft("How to train your dragon", ("dragons", "training")))
    article = view.article
    assert article.slug == "how-to-train-your-dragon"
    assert [t.name for t in article.tags] == ["dragons", "training"]
    assert article.author is author
    assert article.published_at == article.created_at == article.updated_at
    session.flush()
    written = article.created_at
    session.expire(article)  # read back what the database stored
    assert article.created_at == written and article.created_at.tzinfo is UTC
    assert view.favorites_count == 0 and not view.favorited


def test_duplicate_titles_get_distinct_readable_slugs(make_user: MakeUser) -> None:
    author = make_user()
    slugs = [create_article(author, draft("Same title")).article.slug for _ in range(3)]
    assert slugs == ["same-title", "same-title-2", "same-title-3"]


def test_a_title_used_past_the_numbered_slugs_gets_a_random_suffix(
    make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(slug_service, "SLUG_NUMBERS", 3)
    author = make_user()
    slugs = [create_article(author, draft("Same title")).article.slug for _ in range(5)]
    assert slugs[:3] == ["same-title", "same-title-2", "same-title-3"]
    assert all(re.fullmatch(r"same-title-[0-9a-f]{8}", slug) for slug in slugs[3:])
    assert len(set(slugs)) == 5


def test_a_new_title_that_slugs_the_same_keeps_the_slug(make_article: MakeArticle) -> None:
    article = make_article(title="Same title")
    edited = update_article(article.author, "same-title", ArticleEdit(title="Same Title!"))
    assert edited.article.slug == "same-title"


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"title": ""}, {"title": ["can't be blank"]}),
        ({"description": "  "}, {"description": ["can't be blank"]}),
        ({"body": "\n"}, {"body": ["can't be blank"]}),
        ({"title": "t" * 201}, {"title": ["is too long (maximum is 200 characters)"]}),
        ({"tags": ("x" * 41,)}, {"tagList": ["has a tag that is too long (maximum is 40 characters)"]}),
        ({"tags": tuple(f"t{n}" for n in range(21))}, {"tagList": ["has too many tags (maximum is 20)"]}),
    ],
)  # fmt: skip
def test_create_article_rejects_bad_input(
    make_user: MakeUser, session: sa.orm.Session, fields: dict, errors: dict
) -> None:
    values = {"title": "A title", "description": "d", "body": "b", "tags": ()} | fields
    with pytest.raises(Invalid) as caught:
        create_article(make_user(), ArticleDraft(**values))
    assert caught.value.errors == errors
    assert session.scalar(sa.select(sa.func.count()).select_from(Article)) == 0


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"title": "Safe \u202egnp.exe"}, {"title": [HIDDEN_MESSAGE]}),  # right-to-left override
        ({"title": "Hid\u200bden"}, {"title": [HIDDEN_MESSAGE]}),  # zero-width space
        ({"title": "Bell\x07"}, {"title": [CONTROL]}),
        ({"tags": ("ta\u200bg",)}, {"tagList": [TAG_CHARACTERS]}),
        ({"tags": ("tag\u3164",)}, {"tagList": [TAG_CHARACTERS]}),  # Hangul filler
        ({"tags": ("\u2066tag\u2069",)}, {"tagList": [TAG_CHARACTERS]}),  # an isolate
    ],
)
def test_titles_and_tags_hide_nothing(
    make_user: MakeUser,
    session: sa.orm.Session,
    make_article: MakeArticle,
    fields: dict,
    errors: dict,
) -> None:
    author = make_user()
    values = {"title": "A title", "description": "d", "body": "b", "tags": ()} | fields
    with pytest.raises(Invalid) as caught:
        create_article(author, ArticleDraft(**values))
    assert caught.value.errors == errors
    article = make_article(author, "Kept")
    edit = {"title": fields.get("title", UNSET), "tags": fields.get("tags", UNSET)}
    with pytest.raises(Invalid) as caught:
        update_article(author, article.slug, ArticleEdit(**edit))
    assert caught.value.errors == errors


@pytest.mark.parametrize("text", ["\x1b[31mred", "bell\x07", "page\x0cbreak", "\ufffe"])
def test_text_a_feed_cannot_carry_is_refused_everywhere(
    make_user: MakeUser, make_article: MakeArticle, session: sa.orm.Session, text: str
) -> None:
    """Atom and the sitemap are XML 1.0, which has no way to write these."""
    author = make_user()
    for field in ("description", "body"):
        values = {"title": "A title", "description": "d", "body": "b", "tags": ()}
        with pytest.raises(Invalid) as caught:
            create_article(author, ArticleDraft(**(values | {field: text})))
        assert caught.value.errors == {field: [CONTROL]}
    with pytest.raises(Invalid) as caught:
        add_comment(author, make_article(author).slug, text)
    assert caught.value.errors == {"body": [CONTROL]}


def test_titles_keep_the_joiners_and_marks_scripts_need(make_user: MakeUser) -> None:
    title = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 \u200f(2)"  # ZWNJ, RLM
    assert create_article(make_user(), draft(title=title)).article.title == title


def test_tags_are_trimmed_and_deduplicated(make_user: MakeUser) -> None:
    view = create_article(make_user(), draft(tags=(" b ", "a", "b", "", "a")))
    assert view.tags == ["a", "b"]


def test_update_body_only_leaves_the_rest(make_user: MakeUser, make_article: MakeArticle) -> None:
    author = make_user()
    article = make_article(author, "Original title", tags=("keep",))
    created, updated = article.created_at, article.updated_at
    view = update_article(author, article.slug, ArticleEdit(body="New body"))
    assert view.article.body == "New body"
    assert view.article.title == "Original title"
    assert view.article.slug == "original-title"
    assert view.tags == ["keep"]
    assert view.article.created_at == created
    assert view.article.updated_at > updated


def test_title_change_moves_the_slug(make_user: MakeUser, make_article: MakeArticle) -> None:
    author = make_user()
    make_article(author, "Taken title")
    article = make_article(author, "Old title")
    assert update_article(author, article.slug, ArticleEdit(title="New title")).article.slug == (
        "new-title"
    )
    moved = update_article(author, "new-title", ArticleEdit(title="Taken title"))
    assert moved.article.slug == "taken-title-2"
    with pytest.raises(NotFound):
        get_article(None, "old-title")


def test_tags_absent_keep_empty_clears(make_user: MakeUser, make_article: MakeArticle) -> None:
    author = make_user()
    article = make_article(author, tags=("a", "b"))
    update_article(author, article.slug, ArticleEdit())
    assert [t.name for t in article.tags] == ["a", "b"]
    update_article(author, article.slug, ArticleEdit(tags=["c"]))
    assert [t.name for t in article.tags] == ["c"]
    update_article(author, article.slug, ArticleEdit(tags=[]))
    assert article.tags == []


def test_only_the_author_may_change_or_delete(
    make_user: MakeUser, make_article: MakeArticle
) -> None:
    article = make_article()
    intruder = make_user()
    with pytest.raises(Forbidden) as caught:
        update_article(intruder, article.slug, ArticleEdit(body="mine now"))
    assert caught.value.errors == {"article": ["forbidden"]}
    with pytest.raises(Forbidden):
        delete_article(intruder, article.slug)
    assert get_article(None, article.slug).article.body == "Some *Markdown* body."


def test_existence_is_checked_before_ownership_and_validity(make_user: MakeUser) -> None:
    with pytest.raises(NotFound):
        update_article(make_user(), "missing", ArticleEdit(title=""))


def test_ownership_is_checked_before_validity(
    make_user: MakeUser, make_article: MakeArticle
) -> None:
    article = make_article()
    with pytest.raises(Forbidden):
        update_article(make_user(), article.slug, ArticleEdit(title=""))


def test_delete_removes_comments_tags_and_favorites(
    make_user: MakeUser, make_article: MakeArticle, session: sa.orm.Session
) -> None:
    author, reader = make_user(), make_user()
    article = make_article(author, tags=("gone",))
    add_comment(reader, article.slug, "nice")
    favorite_article(reader, article.slug)
    delete_article(author, article.slug)
    with pytest.raises(NotFound):
        get_article(author, article.slug)
    for model in (Comment, Favorite):
        assert session.scalar(sa.select(sa.func.count()).select_from(model)) == 0
    assert list_tags() == []


def test_drafts_are_visible_only_to_their_author(
    make_user: MakeUser, make_article: MakeArticle
) -> None:
    author, reader = make_user(), make_user()
    article = make_article(author, "Work in progress", tags=("wip",), publish=False)
    assert article.is_draft
    assert get_article(author, article.slug).article is article
    for viewer in (None, reader):
        with pytest.raises(NotFound):
            get_article(viewer, article.slug)
    with pytest.raises(NotFound):
        update_article(reader, article.slug, ArticleEdit(body="x"))
    with pytest.raises(NotFound):
        favorite_article(reader, article.slug)
    assert list_articles(None, ArticleFilters()).total == 0
    assert list_tags() == []
    assert [v.article.id for v in list_drafts(author)] == [article.id]
    assert list_drafts(reader) == []


def test_publish(make_user: MakeUser, make_article: MakeArticle) -> None:
    author = make_user()
    article = make_article(author, publish=False)
    published = publish_article(author, article.slug).article
    assert published.published_at is not None
    first = published.published_at
    assert publish_article(author, article.slug).article.published_at == first
    assert list_articles(None, ArticleFilters()).total == 1
    with pytest.raises(Forbidden):
        publish_article(make_user(), article.slug)


def _backdate(article: Article, minutes: int) -> None:
    article.published_at = datetime.now(UTC) - timedelta(minutes=minutes)


def test_list_is_newest_first_with_id_breaking_ties(
    make_article: MakeArticle, session: sa.orm.Session
) -> None:
    old, tie_a, tie_b, new = (make_article() for _ in range(4))
    _backdate(old, 60)
    same = datetime.now(UTC) - timedelta(minutes=30)
    tie_a.published_at = tie_b.published_at = same
    _backdate(new, 1)
    session.flush()
    page = list_articles(None, ArticleFilters())
    assert [v.article.id for v in page.items] == [a.id for a in (new, tie_b, tie_a, old)]


def test_a_tag_lists_newest_first_with_id_breaking_ties_however_it_is_paged(
    make_user: MakeUser, session: sa.orm.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = datetime.now(UTC) - timedelta(hours=1)
    clock = [start]
    monkeypatch.setattr(article_service, "utcnow", lambda: clock[0])

    def at(minutes: int) -> None:
        clock[0] = start + timedelta(minutes=minutes)

    author, fan = make_user("author"), make_user("fan")
    old = create_article(author, draft("Old", ("x",))).article
    at(10)
    tie_a = create_article(author, draft("Tie a", ("x",)), publish=False).article
    at(20)
    tie_b = create_article(author, draft("Tie b", ("y",))).article
    publish_article(author, tie_a.slug)  # the same time as tie_b, a smaller id
    create_article(author, draft("Draft", ("x",)), publish=False)
    at(40)
    update_article(author, tie_b.slug, ArticleEdit(tags=["x", "y"]))  # x keeps minute 20
    create_article(make_user(), draft("Elsewhere", ("y",)))
    at(50)
    new = create_article(author, draft("New", ("x",))).article
    for article in (old, tie_a, tie_b, new):
        favorite_article(fan, article.slug)
    expected = [new.id, tie_b.id, tie_a.id, old.id]
    assert stale_tag_links() == []

    def listed(**filters: str) -> list[int]:
        page = list_articles(None, ArticleFilters(**filters))
        assert page.total == len(page.items)
        return [v.article.id for v in page.items]

    assert listed(tag="x") == expected
    assert listed(tag="x", author="author") == expected
    assert listed(tag="x", favorited_by="fan") == expected
    offsets = [list_articles(None, ArticleFilters(tag="x"), limit=1, offset=n) for n in range(4)]
    assert [page.items[0].article.id for page in offsets] == expected
    walked: list[int] = []
    cursor: Cursor | None = None
    while True:
        browsed = browse_articles(None, ArticleFilters(tag="x"), before=cursor, limit=1)
        walked += [v.article.id for v in browsed.items]
        if browsed.next is None:
            break
        cursor = browsed.next
    assert walked == expected
    latest = latest_articles(ArticleFilters(tag="x"), limit=10, html_max=1000)
    assert [entry.view.article.id for entry in latest] == expected


def test_list_pages_and_total(make_article: MakeArticle) -> None:
    for _ in range(5):
        make_article()
    page = list_articles(None, ArticleFilters(), limit=2, offset=2)
    assert len(page.items) == 2 and page.total == 5
    beyond = list_articles(None, ArticleFilters(), limit=2, offset=10)
    assert beyond.items == [] and beyond.total == 5


@pytest.mark.parametrize(
    ("limit", "offset", "field"),
    [
        (0, 0, "limit"),
        (101, 0, "limit"),
        (-1, 0, "limit"),
        (20, -1, "offset"),
        (20, 2**40, "offset"),
    ],
)
def test_list_rejects_bad_paging(
    session: sa.orm.Session, limit: int, offset: int, field: str
) -> None:
    with pytest.raises(Invalid) as caught:
        list_articles(None, ArticleFilters(), limit=limit, offset=offset)
    assert field in caught.value.errors


def test_list_filters(make_user: MakeUser, make_article: MakeArticle) -> None:
    ada, grace = make_user("Ada"), make_user("grace")
    a1 = make_article(ada, tags=("python",))
    a2 = make_article(ada, tags=("rust",))
    g1 = make_article(grace, tags=("python", "rust"))
    favorite_article(grace, a2.slug)
    favorite_article(grace, a1.slug)

    def slugs(**filters: str) -> set[str]:
        page = list_articles(None, ArticleFilters(**filters))
        assert page.total == len(page.items)
        return {v.article.slug for v in page.items}

    assert slugs(tag="python") == {a1.slug, g1.slug}
    assert slugs(author="ada") == {a1.slug, a2.slug}
    assert slugs(favorited_by="GRACE") == {a1.slug, a2.slug}
    assert slugs(tag="rust", author="ada", favorited_by="grace") == {a2.slug}
    assert slugs(tag="nope") == set()
    assert slugs(author="nobody") == set()


def test_viewer_flags_and_counts(make_user: MakeUser, make_article: MakeArticle) -> None:
    author, fan, other = make_user("author"), make_user(), make_user()
    article = make_article(author)
    follow_user(fan, "author")
    assert favorite_article(fan, article.slug).favorited is True
    view = favorite_article(fan, article.slug)
    assert (view.favorites_count, view.favorited, view.following) == (1, True, True)
    favorite_article(other, article.slug)
    for viewer, expected in [
        (fan, (2, True, True)),
        (other, (2, True, False)),
        (None, (2, False, False)),
    ]:
        [listed] = list_articles(viewer, ArticleFilters()).items
        assert (listed.favorites_count, listed.favorited, listed.following) == expected
    assert unfavorite_article(fan, article.slug).favorited is False
    view = unfavorite_article(fan, article.slug)
    assert (view.favorites_count, view.favorited) == (1, False)


def test_feed_shows_followed_authors_only(make_user: MakeUser, make_article: MakeArticle) -> None:
    reader, followed, ignored = make_user(), make_user("followed"), make_user()
    assert feed(reader).total == 0 and feed(reader).items == []
    mine = make_article(followed)
    make_article(ignored)
    make_article(followed, publish=False)
    follow_user(reader, "followed")
    page = feed(reader)
    assert [v.article.id for v in page.items] == [mine.id] and page.total == 1
    assert page.items[0].following is True


def test_tags_in_use_and_the_most_popular(make_article: MakeArticle) -> None:
    make_article(tags=("b", "a"))
    make_article(tags=("b",))
    make_article(tags=("c",), publish=False)
    assert list_tags() == ["a", "b"]
    assert popular_tags() == ["b", "a"]
    assert popular_tags(limit=1) == ["b"]


@pytest.mark.parametrize("size", [1, 25])
def test_lists_run_a_fixed_number_of_statements(
    make_user: MakeUser,
    make_article: MakeArticle,
    count_queries: Callable,
    session: sa.orm.Session,
    size: int,
) -> None:
    viewer = make_user()
    for n in range(size):
        author = make_user()
        follow_user(viewer, author.username)
        article = make_article(author, tags=("x", f"t{n}"))
        favorite_article(viewer, article.slug)
    session.expunge_all()  # count what a fresh request pays, not what is cached
    with count_queries() as listing:
        page = list_articles(viewer, ArticleFilters(), limit=100)
        rendered = [(v.author.user.username, v.tags) for v in page.items]
    with count_queries() as following:
        page = feed(viewer, limit=100)
        rendered += [(v.author.user.username, v.tags) for v in page.items]
    with count_queries() as single:
        view = get_article(viewer, article.slug)
        rendered.append((view.author.user.username, view.tags))
    assert len(rendered) == 2 * size + 1
    assert (listing(), following(), single()) == (1, 1, 1)


def counted_totals(session: sa.orm.Session) -> tuple[int, dict[str, int]]:
    """The archive's and each tag's published total, counted from the content."""
    published = sa.select(sa.func.count()).select_from(Article).where(q.published())
    tags = {
        name: session.scalar(published.where(q.tagged(name))) or 0
        for name in session.scalars(sa.select(Tag.name))
    }
    return session.scalar(published) or 0, tags


def listed_totals(session: sa.orm.Session) -> tuple[int, dict[str, int]]:
    """The same totals as the lists report them."""
    tags = {
        name: list_articles(None, ArticleFilters(tag=name)).total
        for name in session.scalars(sa.select(Tag.name))
    }
    return list_articles(None, ArticleFilters()).total, tags


def test_kept_totals_follow_every_change(
    make_user: MakeUser, make_article: MakeArticle, session: sa.orm.Session
) -> None:
    ada, bob = make_user(), make_user()
    steps: list[Callable[[], object]] = [
        lambda: make_article(ada, "One", tags=("a", "b")),
        lambda: make_article(ada, "Two", tags=("b",), publish=False),
        lambda: make_article(bob, "Three", tags=("a", "c")),
        lambda: update_article(ada, "two", ArticleEdit(tags=["b", "c"])),  # a draft
        lambda: publish_article(ada, "two"),
        lambda: publish_article(ada, "two"),  # twice counts once
        lambda: update_article(ada, "one", ArticleEdit(tags=["c"])),
        lambda: update_article(bob, "three", ArticleEdit(title="Three again", tags=["a", "c"])),
        lambda: delete_article(ada, "one"),
        lambda: make_article(bob, "Four", tags=("d",), publish=False),
        lambda: delete_article(bob, "four"),  # a draft
        lambda: delete_article(bob, "three-again"),
        lambda: make_article(bob, "Five", tags=("d",), publish=False),
        lambda: update_article(bob, "five", ArticleEdit(tags=["a", "d"]), publish=True),
    ]
    for step in steps:
        step()
        session.flush()
        assert listed_totals(session) == counted_totals(session)
        assert list_tags() == sorted(name for name, n in counted_totals(session)[1].items() if n)
        assert stale_tag_links() == []
    assert listed_totals(session) == (2, {"a": 1, "b": 1, "c": 1, "d": 1})


def test_recount_repairs_every_total(make_article: MakeArticle, session: sa.orm.Session) -> None:
    make_article(tags=("a", "b"))
    make_article(tags=("a",))
    make_article(tags=("b",), publish=False)
    session.execute(sa.update(Counter).values(value=40))
    session.execute(sa.update(Tag).values(published_count=7))
    totals.recount()
    assert listed_totals(session) == counted_totals(session) == (2, {"a": 2, "b": 1})
    session.execute(sa.delete(Counter))
    totals.recount()
    assert list_articles(None, ArticleFilters()).total == 2


def test_copying_repairs_every_tag_links_time(
    make_article: MakeArticle, session: sa.orm.Session
) -> None:
    published = make_article(tags=("a", "b"))
    make_article(tags=("a",), publish=False)
    session.execute(sa.update(article_tags).values(published_at=datetime(2000, 1, 1, tzinfo=UTC)))
    assert len(stale_tag_links()) == 3
    tag_links.copy_all()
    assert stale_tag_links() == []
    assert [v.article.id for v in list_articles(None, ArticleFilters(tag="a")).items] == [
        published.id
    ]
