"""GET /api/v1/search?q= : the top bar's search, for scripts (JWT) and the box itself (session)."""

from flask import request
from flask_appbuilder.api import expose

from app.core.actor import current_actor
from app.core.api import CareTrailApi, safe, signed_in
from app.core.extensions import db
from app.search.rules import global_search


class SearchApi(CareTrailApi):
    resource_name = "search"
    openapi_spec_tag = "Search"

    @expose("", methods=["GET"])
    @signed_in
    @safe
    def search(self):
        """Patients, appointments, documents and prescriptions matching `q`, grouped by kind.
        ---
        get:
          summary: Global search (what the signed-in role may read)
          description: >
            `q` is read as a birth date (12/03/1985 or 1985-03-12), a NIR (spaces allowed),
            a hospital number (IPP), a phone number, or else names (accents, capitals and
            typos tolerated: "dubuis" finds Dubois). A group is absent when the role may not read it.
          parameters:
          - {in: query, name: q, required: true, schema: {type: string, maxLength: 100}}
          responses:
            200:
              description: Results grouped by kind
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      q: {type: string}
                      matched_by: {type: string, enum: [name, birth_date, nir, mrn, phone]}
                      groups:
                        type: object
                        additionalProperties:
                          type: array
                          items:
                            type: object
                            properties:
                              id: {type: integer}
                              label: {type: string}
                              detail: {type: string}
                              url: {type: string}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
        """
        results = global_search(db.session, current_actor(), request.args.get("q"))
        return self.response(200, **results.as_dict())
