"""Screen strings the catalogue cannot find by itself, listed here so that
`make translations` extracts them (N_ marks a msgid without translating it):

- FAB's own strings that its French catalogue lacks (its security screens);
  FAB calls lazy_gettext on them, and our catalogue answers.
- The model names of FAB's generated titles ("List %(name)s", app/core/views.py),
  and the labels FAB generates from column names ("Given On") or that views
  take from a module constant (PATIENT_LABELS), and the choices of coded
  selects (PROFESSIONS, TERM_KINDS): tests/integration/test_french_screens.py
  lists every screen string of every view and fails on one without French.
"""

from app.core.msgids import N_

FAB_STRINGS = [
    N_("Add Group"),
    N_("Edit Group"),
    N_("Edit User Information"),
    N_("Groups"),
    N_("It's not a good policy to remove a user, just make it inactive"),
    N_("List Groups"),
    N_("List of Registration Requests"),
    N_("Please rewrite the user's password to confirm"),
    N_("Show Group"),
    N_("The user's password for authentication"),
    N_("User information changed"),
    N_("User(s) exists in the group, cannot delete"),
    N_("User(s) exists in the role, cannot delete"),
    N_("User confirmation needed"),
    N_("Add"),  # the list's add button for screen readers (lib.html lnk_add)
    N_("Add Filter"),  # FAB's French reads "Ajouter un filter"
    N_("Record Count"),  # FAB's French reads "Nombre de record"
]


SCREEN_STRINGS = [
    N_("Address"),
    N_("Administration"),
    N_("Api Keys"),
    N_("Author"),
    N_("Avoid"),
    N_("Birth name"),
    N_("Blood group"),
    N_("Cancellation Reason"),
    N_("Cancelled At"),
    N_("Care Task"),
    N_("Changed"),
    N_("City"),
    N_("Consider"),
    N_("Contact"),
    N_("Content"),
    N_("Contraindicated"),
    N_("Created At"),
    N_("Date of death"),
    N_("Description"),
    N_("Disease"),
    N_("Diseases"),
    N_("Duplicates"),
    N_("Emergency contact"),
    N_("Emergency contact phone"),
    N_("Ends At"),
    N_("Fields"),
    N_("Form"),
    N_("Given By"),
    N_("Given On"),
    N_("Record details"),  # the patient's fieldset (created, updated), not the verb "Record"
    N_("Search Text"),  # patients.search_text (migration 0120): a label FAB makes, never shown
    N_("Hospitalisation Report"),
    N_("Identity"),
    N_("Is Active"),
    N_("Issued By User"),
    N_("Items"),
    N_(
        "Jinja text, rendered in a sandbox. Available: patient.last_name, .first_name, .birth_name, .birth_date, .age, .sex, .civility, .mrn; doctor.name, .first_name, .last_name, .specialty, .rpps; hospital.name, .address, .phone, .finess; today; and each field below as values.<name>, e.g. {{ values.start_date }}."  # noqa: E501
    ),
    N_("Label"),
    N_("Manufacturer"),
    N_("Medical"),
    N_("Message"),
    N_("NIR (social security no.)"),
    N_("Not a duplicate"),
    N_("Nurse"),
    N_("Overdue After Months"),
    N_("Override Reason"),
    N_("Pair"),
    N_("Phone"),
    N_("Planned By"),
    N_("Postal code"),
    N_("Precaution"),
    N_("Prescription Item"),
    N_("Profession"),
    N_("Radiologist"),
    N_("Reaction"),
    N_("Renewals Allowed"),
    N_("Roles"),
    N_("Secretary"),
    N_("Service"),
    N_("Sex"),
    N_("Signed At"),
    N_("Size Bytes"),
    N_("Source"),
    N_("Specialty"),
    N_("Starts At"),
    N_("Strength"),
    N_("Substance"),
    N_("Template Version"),
    N_("The user group on the application, this will associate with a list of roles associated with the group"),
    N_("The user role on the application, this will associate with a list of permissions"),
    N_("Tick only after a likely duplicate was shown, once you know this is another person."),
    N_("Title"),
    N_("Tolerance Months"),
    N_("Updated At"),
    N_("Users"),
    N_("Vaccination Step"),
    N_("Version"),
]
