"""The agenda: doctors' working hours and absences, appointment types,
appointments (booking, moving, statuses, postponing), free slots, the
calendar and its iCalendar feeds."""


def register(appbuilder) -> None:
    from app.agenda import timeline  # noqa: F401  (registers its source of the patient timeline)
    from app.agenda.api import AbsenceApi, AppointmentApi, AppointmentTypeApi, ScheduleApi, SlotApi
    from app.agenda.patient_appointments import patient_page_reads, patient_page_section
    from app.agenda.views.appointments import AppointmentsToRebookView, AppointmentView
    from app.agenda.views.calendar import CalendarView, PatientLookupView
    from app.agenda.views.day import CalendarDayView
    from app.agenda.views.feeds import CalendarFeedAdminView, CalendarFeedView
    from app.agenda.views.find_slot import FindSlotView
    from app.agenda.views.schedules import AbsenceView, AppointmentTypeView, ScheduleView
    from app.records.views import add_patient_section
    from app.security.roles import (
        ABSENCES,
        AGENDA_MENU,
        APPOINTMENT_TYPES,
        APPOINTMENTS_MENU,
        CALENDAR_MENU,
        DAY_MENU,
        FIND_SLOT_MENU,
        MENU_ITEMS,
        SCHEDULES,
        TO_REBOOK_MENU,
    )

    appbuilder.add_view(
        CalendarView, CALENDAR_MENU, icon="fa-calendar-alt", category=AGENDA_MENU, category_icon="fa-calendar"
    )
    appbuilder.add_view(CalendarDayView, DAY_MENU, icon="fa-columns", category=AGENDA_MENU)
    appbuilder.add_view(FindSlotView, FIND_SLOT_MENU, icon="fa-search", category=AGENDA_MENU)
    appbuilder.add_view(AppointmentView, APPOINTMENTS_MENU, icon="fa-list", category=AGENDA_MENU)
    appbuilder.add_view(AppointmentsToRebookView, TO_REBOOK_MENU, icon="fa-redo", category=AGENDA_MENU)
    appbuilder.add_view(ScheduleView, MENU_ITEMS[SCHEDULES][0], icon="fa-clock", category=AGENDA_MENU)
    appbuilder.add_view(AbsenceView, MENU_ITEMS[ABSENCES][0], icon="fa-plane", category=AGENDA_MENU)
    appbuilder.add_view(AppointmentTypeView, MENU_ITEMS[APPOINTMENT_TYPES][0], icon="fa-tags", category=AGENDA_MENU)
    appbuilder.add_view_no_menu(PatientLookupView)
    appbuilder.add_view_no_menu(CalendarFeedView)
    appbuilder.add_view_no_menu(CalendarFeedAdminView)
    appbuilder.add_api(AppointmentApi)
    appbuilder.add_api(ScheduleApi)
    appbuilder.add_api(AbsenceApi)
    appbuilder.add_api(AppointmentTypeApi)
    appbuilder.add_api(SlotApi)
    add_patient_section("appointments", "pages/patient_appointments.html", patient_page_section, patient_page_reads)
