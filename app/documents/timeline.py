"""The documents' part of the patient timeline: each document issued, for
whoever may read that document (its kind and, for a patient record, what it shows)."""

import sqlalchemy as sa

from app.core.actor import Actor
from app.core.errors import Forbidden
from app.core.links import page_url
from app.core.timeline import TimelineItem, timeline_source
from app.documents import access
from app.documents.models import Document


@timeline_source("document")
def documents(session, patient_id: int, actor: Actor):
    kinds = access.readable_kinds(actor)
    if not kinds:
        return
    rows = session.scalars(sa.select(Document).where(Document.patient_id == patient_id, Document.kind.in_(kinds)))
    for row in rows:
        try:
            access.check_may_read_document(actor, row)
        except Forbidden:
            continue
        yield TimelineItem(
            at=row.issued_at,
            kind="document",
            title=row.title,
            detail=f"issued by {row.issued_by}",
            url=page_url("DocumentView.show", pk=row.id),
        )
