"""Extensions, created unbound and initialised in `create_app`."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from inkwell.connections import UnitSession
from inkwell.models.base import Base

# expire_on_commit=False: the edge commits after a view has built its response
# objects; expiring them would reload every row the response already holds.
db = SQLAlchemy(
    model_class=Base, session_options={"class_": UnitSession, "expire_on_commit": False}
)
migrate = Migrate()

# Limits are attached per view (sign-in, registration); none apply by default.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
csrf = CSRFProtect()
