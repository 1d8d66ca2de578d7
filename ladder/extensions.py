"""Extensions, created unbound here and initialised by the app factory."""
from typing import TYPE_CHECKING

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with stable constraint names, so Alembic revisions stay reviewable."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Objects keep their values after a commit: a view that committed needs no further query to
# answer, so a connection lost right after the commit cannot turn a stored save into an error.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})

# The models' base class. At run time it is db.Model, which Flask-SQLAlchemy builds from Base (adding
# its bind and table-name mixins); mypy cannot use a class attribute as a base class
# (python/mypy#8603) and Flask-SQLAlchemy types db.Model without the declarative base, so to the type
# checker it is Base itself: the models' Mapped[...] attributes and keyword constructors type-check.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
mail = Mail()
