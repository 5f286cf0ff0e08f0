"""Break-the-glass doors: the patient page's form and the review queue
(views.py), and their REST API (api.py); the rules are app/security/glass.py's."""
