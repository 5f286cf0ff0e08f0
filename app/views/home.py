"""The landing page after login."""

from flask_appbuilder import IndexView


class HomeView(IndexView):
    index_template = "pages/index.html"
