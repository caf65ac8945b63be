"""The operator commands, run through Flask's CLI runner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask.cli import ScriptInfo

from inkwell import create_app, fulltext, seeding
from inkwell.cli import cli, content
from inkwell.extensions import db
from inkwell.markdown import RENDERER_VERSION, render_markdown
from inkwell.models import Article, Comment, Favorite, Follow, Tag, User
from inkwell.passwords import verify_password
from inkwell.queries import articles as q
from inkwell.seeding.guides import AUTHOR, guides
from inkwell.services import rendering, totals
from tests.conftest import environ_for, forget_cached, schema_drift, stale_tag_links
from tests.databases import Backend


def rows(session: sa.orm.Session, model: Any) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def test_users_create_reads_the_password_from_stdin(runner: Any, session: sa.orm.Session) -> None:
    result = runner.invoke(
        args=["users", "create", "Root", "root@example.com", "--admin", "--password-stdin"],
        input="a long secret\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created administrator Root <root@example.com>." in result.output
    user = session.scalar(sa.select(User).where(User.username == "Root"))
    assert user is not None and user.is_admin
    assert verify_password(user.password_hash, "a long secret")


def test_users_create_prompts_without_echo(runner: Any, session: sa.orm.Session) -> None:
    result = runner.invoke(
        args=["users", "create", "ada", "ada@example.com"],
        input="hidden password\nhidden password\n",
    )
    assert result.exit_code == 0, result.output
    assert "hidden password" not in result.output
    assert rows(session, User) == 1


def test_users_create_refuses_bad_input_cleanly(
    runner: Any, make_user: Callable[..., User], session: sa.orm.Session
) -> None:
    make_user("ada")
    taken = runner.invoke(
        args=["users", "create", "ADA", "x@example.com", "--password-stdin"], input="long enough\n"
    )
    assert taken.exit_code == 1
    assert "username has already been taken" in taken.output
    short = runner.invoke(
        args=["users", "create", "bob", "bob@example.com", "--password-stdin"], input="short\n"
    )
    assert short.exit_code == 1
    assert "Traceback" not in short.output
    assert rows(session, User) == 1


def test_users_create_refuses_a_password_that_is_not_utf8(
    runner: Any, session: sa.orm.Session
) -> None:
    result = runner.invoke(
        args=["users", "create", "bob", "bob@example.com", "--password-stdin"],
        input=b"long enough \xff\xfe\n",
    )
    assert result.exit_code == 1
    assert result.output == "Error: the password on standard input is not valid UTF-8\n"
    assert rows(session, User) == 0


def test_check_reports_a_missing_sqlite_folder_without_making_it(tmp_path: Path) -> None:
    missing = tmp_path / "not" / "here"
    app = create_app(environ_for(f"sqlite:///{missing / 'inkwell.sqlite3'}", tmp_path))
    result = app.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 1
    assert f"Error: DATABASE_URL: the folder {missing} does not exist" in result.output
    assert not missing.parent.exists()


def test_a_command_on_a_database_nobody_migrated_is_one_line(
    backend: Backend, tmp_path: Path
) -> None:
    url = backend.fresh_url("inkwell_test_unmigrated", tmp_path)
    output = tmp_path / "content.jsonl"
    app = create_app(environ_for(url, tmp_path))
    try:
        # Through the `inkwell` group itself, which turns failures into one line.
        result = CliRunner().invoke(
            cli, ["export", "--output", str(output)], obj=ScriptInfo(create_app=lambda: app)
        )
    finally:
        with app.app_context():
            db.engine.dispose()
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1
    assert "Traceback" not in result.output
    assert not output.exists()


def test_seed_writes_what_it_reports(runner: Any, session: sa.orm.Session) -> None:
    result = runner.invoke(args=["seed", "--users", "8", "--articles", "120", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert rows(session, User) == 8
    assert rows(session, Article) == 120
    assert "8 users" in result.output and "120 articles" in result.output
    for model in (Follow, Favorite, Comment, Tag):
        assert rows(session, model) > 0
        assert f"{rows(session, model)} " in result.output or model is Tag
    published = session.scalar(
        sa.select(sa.func.count()).select_from(Article).where(Article.published_at.is_not(None))
    )
    assert 0 < (published or 0) < 120


def test_seeded_articles_carry_their_rendered_html(runner: Any, session: sa.orm.Session) -> None:
    # On PostgreSQL through binary COPY, elsewhere through multi-row INSERTs.
    result = runner.invoke(args=["seed", "--users", "3", "--articles", "30", "--seed", "2"])
    assert result.exit_code == 0, result.output
    stored = session.execute(
        sa.select(Article.body, Article.body_html, Article.body_html_version)
    ).all()
    assert len(stored) == 30
    for body, html, version in stored:
        assert (html, version) == (render_markdown(body), RENDERER_VERSION)


def test_seeding_moves_the_kept_totals_by_what_it_wrote(
    runner: Any, make_article: Callable[..., Article], session: sa.orm.Session
) -> None:
    make_article(tags=("python",))
    assert runner.invoke(args=["seed", "--users", "4", "--articles", "60"]).exit_code == 0
    published = sa.select(sa.func.count()).select_from(Article).where(q.published())
    assert totals.published_total() == session.scalar(published)
    for tag in session.scalars(sa.select(Tag)):
        assert totals.tag_total(tag.name) == session.scalar(published.where(q.tagged(tag.name)))
    assert stale_tag_links() == []


def test_bulk_seeding_leaves_every_constraint_and_index_in_place(
    runner: Any, session: sa.orm.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Large loads drop PostgreSQL's keys and indexes and rebuild them after.
    monkeypatch.setattr(seeding, "BULK", 1)
    result = runner.invoke(args=["seed", "--users", "3", "--articles", "40", "--seed", "5"])
    assert result.exit_code == 0, result.output
    assert schema_drift(session.connection()) == []
    assert fulltext.problems(session.connection(), "english") == []
    with pytest.raises(sa.exc.IntegrityError), session.begin_nested():
        session.execute(sa.insert(Favorite).values(user_id=1, article_id=10_000_000))


def test_seeded_ids_continue_after_existing_rows(
    runner: Any, make_article: Callable[..., Article], session: sa.orm.Session
) -> None:
    make_article()
    assert runner.invoke(args=["seed", "--users", "2", "--articles", "5"]).exit_code == 0
    # New rows after seeding get ids of their own (sequences moved past seeded ids).
    later = make_article()
    assert later.id == session.scalar(sa.select(sa.func.max(Article.id)))
    assert rows(session, Article) == 7


@pytest.mark.parametrize("guides", [[], ["--guides"]])
def test_seed_if_empty_leaves_content_alone(
    runner: Any, make_user: Callable[..., User], session: sa.orm.Session, guides: list[str]
) -> None:
    make_user()
    result = runner.invoke(args=["seed", "--if-empty", *guides])
    assert result.exit_code == 0
    assert "nothing seeded" in result.output
    assert rows(session, Article) == 0
    assert rows(session, User) == 1


def test_seeded_guides_are_the_newest_articles_in_reading_order(
    runner: Any, client: Any, session: sa.orm.Session
) -> None:
    result = runner.invoke(
        args=["seed", "--users", "3", "--articles", "40", "--seed", "4", "--guides"]
    )
    assert result.exit_code == 0, result.output
    titles = [guide.title for guide in guides()]
    assert len(titles) == 4
    assert f"Wrote 4 guides by {AUTHOR}." in result.output
    assert "sign in with the password 'inkwell-demo'" in result.output
    listed = client.get(f"/api/articles?limit={len(titles) + 1}").get_json()["articles"]
    assert [article["title"] for article in listed[: len(titles)]] == titles
    assert {article["author"]["username"] for article in listed[: len(titles)]} == {AUTHOR}
    assert listed[-1]["author"]["username"] != AUTHOR
    home = client.get("/").get_data(as_text=True)
    assert sorted(titles, key=home.index) == titles
    # Published through the services: counted, tagged, linked and sharing the seed's password.
    assert totals.published_total() == session.scalar(
        sa.select(sa.func.count()).select_from(Article).where(q.published())
    )
    assert totals.tag_total("guide") == len(titles)
    assert stale_tag_links() == []
    author = session.scalars(sa.select(User).where(User.username == AUTHOR)).one()
    assert author.bio == "The Inkwell team"
    assert author.role == "admin"  # the demo's administrator, named in the README
    assert verify_password(author.password_hash, "inkwell-demo")
    assert {author.password_hash} == set(session.scalars(sa.select(User.password_hash)))


def test_seeded_guides_carry_their_rendered_html(runner: Any, session: sa.orm.Session) -> None:
    result = runner.invoke(args=["seed", "--users", "0", "--articles", "0", "--guides"])
    assert result.exit_code == 0, result.output
    stored = session.execute(
        sa.select(Article.title, Article.body, Article.body_html, Article.published_at)
    ).all()
    assert sorted(title for title, *_ in stored) == sorted(guide.title for guide in guides())
    for _title, body, html, published_at in stored:
        assert published_at is not None
        assert html == render_markdown(body)
        assert "<h2>" in html
    writing = next(html for title, _, html, _ in stored if title == "Writing with Markdown")
    for element in ('<pre><code class="language-python">', "<table>", "<blockquote>", "<ol>"):
        assert element in writing


def test_seeding_guides_again_leaves_the_first_ones(runner: Any, session: sa.orm.Session) -> None:
    assert (
        runner.invoke(args=["seed", "--users", "1", "--articles", "2", "--guides"]).exit_code == 0
    )
    again = runner.invoke(args=["seed", "--users", "1", "--articles", "2", "--guides"])
    assert again.exit_code == 0, again.output
    assert f"The account '{AUTHOR}' exists: its guides are there already." in again.output
    assert rows(session, Article) == 4 + len(guides())


def test_seed_articles_need_authors(runner: Any) -> None:
    result = runner.invoke(args=["seed", "--users", "0", "--articles", "3"])
    assert result.exit_code == 1
    assert "seed at least one user" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--users", "100000000000000000000"], "not in the range 0<=x<=1000000"),
        (["--articles", "10000001"], "not in the range 0<=x<=10000000"),
        (["--password", ""], "'--password': can't be blank"),
        (["--password", "short"], "'--password': is too short (minimum is 8 characters)"),
        (["--password", "password"], "'--password': is too common or too easy to guess"),
    ],
)
def test_seed_refuses_sizes_past_its_bounds_and_weak_passwords(
    runner: Any,
    session: sa.orm.Session,
    args: list[str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def never(**_kwargs: Any) -> None:
        raise AssertionError("refused input reached seeding")

    # Without a bound, 10**20 users would be generated until memory runs out.
    monkeypatch.setattr(content, "seed", never)
    result = runner.invoke(args=["seed", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert rows(session, User) == 0


def test_seed_refuses_a_production_site_unless_forced(
    app: Any, runner: Any, session: sa.orm.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = app.extensions["inkwell.settings"]
    production = settings.model_copy(update={"environment": "production"})
    monkeypatch.setitem(app.extensions, "inkwell.settings", production)
    refused = runner.invoke(args=["seed", "--users", "2", "--articles", "3"])
    assert refused.exit_code == 1
    assert "refusing to seed a production site" in refused.output
    assert rows(session, User) == 0
    forced = runner.invoke(args=["seed", "--users", "2", "--articles", "3", "--force"])
    assert forced.exit_code == 0, forced.output
    assert rows(session, User) == 2


def test_check_reports_configuration_and_database(runner: Any) -> None:
    result = runner.invoke(args=["check"])
    assert result.exit_code == 0, result.output
    assert "INKWELL_SECRET_KEY" in result.output
    assert "******" in result.output
    assert "migrations at" in result.output
    assert result.output.strip().endswith("ok")


def make_stale(session: sa.orm.Session, article: Article, version: int = 0) -> None:
    """Leave `article` as an older renderer (version 0: none) left it."""
    session.execute(
        sa.update(Article)
        .where(Article.id == article.id)
        .values(body_html="<p>old rules</p>", body_html_version=version)
    )
    session.commit()


def stored_html(session: sa.orm.Session) -> dict[str, tuple[str, int]]:
    """Each article's body → (stored HTML, renderer version)."""
    query = sa.select(Article.body, Article.body_html, Article.body_html_version)
    return {body: (html, version) for body, html, version in session.execute(query)}


def test_content_rerender_renders_stale_articles_in_batches_once(
    runner: Any,
    make_article: Callable[..., Article],
    session: sa.orm.Session,
    renders: list[str],
) -> None:
    articles = [make_article(body=f"*number {n}*") for n in range(5)]
    for article in articles[:3]:
        make_stale(session, article)
    make_stale(session, articles[3], RENDERER_VERSION + 1)  # left by a newer Inkwell
    renders.clear()
    result = runner.invoke(args=["content", "rerender", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert f"Rendered 4 articles with renderer version {RENDERER_VERSION}." in result.output
    assert sorted(renders) == [f"*number {n}*" for n in range(4)]
    assert stored_html(session) == {
        f"*number {n}*": (f"<p><em>number {n}</em></p>\n", RENDERER_VERSION) for n in range(5)
    }
    again = runner.invoke(args=["content", "rerender"])
    assert again.exit_code == 0, again.output
    assert "nothing to do" in again.output
    assert len(renders) == 4


def test_an_old_row_is_rendered_on_read_until_the_command_stores_it(
    runner: Any,
    client: Any,
    make_article: Callable[..., Article],
    session: sa.orm.Session,
    renders: list[str],
) -> None:
    article = make_article(body="**upgraded**")
    make_stale(session, article)
    renders.clear()
    for _ in range(2):
        forget_cached(client.application)  # each read renders, not the readers' kept page
        page = client.get(f"/article/{article.slug}").get_data(as_text=True)
        assert "<strong>upgraded</strong>" in page and "old rules" not in page
    assert renders == ["**upgraded**"] * 2
    assert runner.invoke(args=["content", "rerender"]).exit_code == 0
    session.expire_all()  # as a new request's session would read it
    assert "<strong>upgraded</strong>" in client.get(f"/article/{article.slug}").get_data(
        as_text=True
    )
    assert renders == ["**upgraded**"] * 3  # the command's, none on the last read


def test_content_rerender_stops_in_one_line_and_keeps_its_finished_batches(
    runner: Any,
    make_article: Callable[..., Article],
    session: sa.orm.Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    articles = [make_article(body=body) for body in ("fine", "also fine", "breaks", "after")]
    for article in articles:
        make_stale(session, article)

    def render(text: str) -> str:
        if text == "breaks":
            raise ValueError("the renderer gave up")
        return f"<p>{text}</p>"

    monkeypatch.setattr(rendering, "render_markdown", render)
    result = runner.invoke(args=["content", "rerender", "--batch-size", "2"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[-1] == (
        f"Error: cannot render article {articles[2].id} ({articles[2].slug}): "
        "ValueError('the renderer gave up'); the 2 articles rendered before it are stored"
    )
    assert "Traceback" not in result.output
    versions = {body: version for body, (_html, version) in stored_html(session).items()}
    assert versions == {
        "fine": RENDERER_VERSION,
        "also fine": RENDERER_VERSION,
        "breaks": 0,
        "after": 0,
    }
