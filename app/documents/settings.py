"""The hospital's settings (the letterhead every document prints): written
by administrators, through the role matrix's permission, in one commit."""

from app.core.rules import RecordRules
from app.security.roles import HOSPITAL_SETTINGS

HOSPITAL_SETTINGS_RULES = RecordRules(HOSPITAL_SETTINGS)
