"""PDF documents: built from the records (kinds), rendered by one function
(render), archived immutably (archive), optionally signed (signing).

    document = issue_document(session, patient_id=7, kind="prescription",
                              fields={"prescription_id": 12}, actor=actor)

The database keeps the rules (sql/versions/0010_documents.py): a document
is never changed, its bytes match their SHA-256.
"""
