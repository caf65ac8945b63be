"""Inkwell's tables, one module per aggregate; importing this registers them all."""

from inkwell.models.activity import DailyActivity
from inkwell.models.articles import Article, Favorite
from inkwell.models.audit import AuditEvent
from inkwell.models.base import Base, utcnow
from inkwell.models.comments import Comment
from inkwell.models.counters import Counter
from inkwell.models.health import HealthSample, SlowStatement
from inkwell.models.search import SearchDocument
from inkwell.models.sessions import UserSession
from inkwell.models.tags import Tag, article_tags
from inkwell.models.users import Follow, User
from inkwell.models.views import ArticleViews, ReaderKey, RecentView

__all__ = [
    "Article",
    "ArticleViews",
    "AuditEvent",
    "Base",
    "Comment",
    "Counter",
    "DailyActivity",
    "Favorite",
    "Follow",
    "HealthSample",
    "ReaderKey",
    "RecentView",
    "SearchDocument",
    "SlowStatement",
    "Tag",
    "User",
    "UserSession",
    "article_tags",
    "utcnow",
]
