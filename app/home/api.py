"""GET /api/v1/home/<kind>: a home's figures (secretary, doctor, nurse, oversight)."""

from flask_appbuilder.api import expose

from app.core.actor import current_actor
from app.core.api import CareTrailApi, safe, signed_in
from app.core.extensions import db
from app.home.rules import home_figures


class HomeApi(CareTrailApi):
    resource_name = "home"
    openapi_spec_tag = "Home"

    @expose("/<kind>", methods=["GET"])
    @signed_in
    @safe
    def figures(self, kind: str):
        """The figures of one role's home, as its page shows them.
        ---
        get:
          summary: A role's home figures (refreshed live by the home page)
          parameters:
          - in: path
            name: kind
            required: true
            schema: {type: string, enum: [secretary, doctor, nurse, oversight]}
          responses:
            200:
              description: The figures; each part only under its domain's permission
              content:
                application/json:
                  schema: {type: object}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
        """
        return self.response(200, **home_figures(db.session, current_actor(), kind))
