"""Shared extension objects: created here, bound to the app in create_app()
(the AppBuilder is made per app there, and reached as current_app.appbuilder)."""

from flask_appbuilder.utils.legacy import get_sqla_class
from flask_mail import Mail
from flask_migrate import Migrate

db = get_sqla_class()()
migrate = Migrate()
mail = Mail()  # SMTP (MAIL_* settings); only the worker's jobs send
