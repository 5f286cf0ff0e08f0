// The calendar screen: FullCalendar (bundled, static/vendor/fullcalendar)
// showing the hospital's agenda in the hospital's time zone.
//
// Time: FullCalendar runs with the hospital's named zone and no time-zone
// plugin, so it exchanges wall-clock times without offset ("2026-03-30T09:00:00")
// and its Date objects are "UTC-coerced" (their UTC fields hold the
// hospital's wall time).  wall() turns them back into the strings the
// server reads as hospital time; the browser's own zone never matters.
//
// Every write (book, move, resize, status) is a POST with the page's CSRF
// token; the server answers {"ok": true, ...} or {"message": "<plain words>"}
// (409 double booking, 422 another rule, 403 not your agenda).  A refused
// drag or resize is put back and the message shown; nothing is an error page.
(function () {
  "use strict";
  var holder = document.getElementById("calendar");
  var configNode = document.getElementById("calendar-config");
  if (!holder || !configNode || !window.FullCalendar) { return; }
  var config = JSON.parse(configNode.textContent);
  var csrfToken = holder.getAttribute("data-csrf-token");
  var doctorSelect = document.getElementById("calendar-doctor");
  var roomSelect = document.getElementById("calendar-room");
  var inactiveBox = document.getElementById("calendar-inactive");
  var messageBox = document.getElementById("calendar-message");
  var $ = window.jQuery;
  // The page's words in the user's language (templates/pages/calendar.html, #calendar-messages).
  var messagesNode = document.getElementById("calendar-messages");
  var messages = messagesNode ? JSON.parse(messagesNode.textContent) : {};
  function t(text) { return messages[text] || text; }
  var language = document.documentElement.lang || "en";

  function url(name, id) { return config.urls[name].replace("__ID__", String(id)); }

  function wall(date) { return date.toISOString().slice(0, 19); }

  function minutesBetween(start, end) { return Math.round((end.valueOf() - start.valueOf()) / 60000); }

  function hospitalNow() {
    // The hospital's wall time now, UTC-coerced like FullCalendar's own dates.
    var parts = {};
    new Intl.DateTimeFormat("en-GB", {
      timeZone: config.timezone, hourCycle: "h23",
      year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit"
    }).formatToParts(new Date()).forEach(function (part) { parts[part.type] = part.value; });
    return new Date(Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second));
  }

  function showMessage(text, kind) {
    messageBox.className = "alert alert-" + (kind || "info");
    messageBox.setAttribute("data-kind", kind || "info");
    messageBox.textContent = text;
    messageBox.hidden = false;
  }

  function showError(box, text) {
    box.textContent = text;
    box.hidden = !text;
  }

  function postJson(target, body) {
    return fetch(target, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken, "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(
        function (data) { return { ok: response.ok && data.ok !== false, status: response.status, data: data }; },
        function () {
          return { ok: false, status: response.status, data: {
            message: t("The page is out of date or your session has ended: reload the page and try again.") } };
        });
    }, function () {
      return { ok: false, status: 0, data: { message: t("The server could not be reached; nothing was changed.") } };
    });
  }

  function filters() {
    var params = {};
    if (doctorSelect.value) { params.doctor_id = doctorSelect.value; }
    if (roomSelect.value) { params.room_id = roomSelect.value; }
    if (inactiveBox.checked) { params.inactive = "1"; }
    return params;
  }

  function rememberInUrl() {
    var params = new URLSearchParams(filters());
    if (!doctorSelect.value) { params.set("doctor_id", ""); }  // "all doctors" chosen, not the default
    params.set("view", calendar.view.type);
    params.set("date", wall(calendar.getDate()).slice(0, 10));
    window.history.replaceState(null, "", window.location.pathname + "?" + params.toString());
  }

  function refreshHours() {
    if (!doctorSelect.value) { calendar.setOption("businessHours", false); return; }
    var view = calendar.view;
    var query = new URLSearchParams({ doctor_id: doctorSelect.value, start: wall(view.activeStart), end: wall(view.activeEnd) });
    fetch(config.urls.hours + "?" + query.toString(), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { business_hours: [] }; })
      .then(function (data) {
        // No hours at all: shade the whole day (nothing can be booked but an emergency).
        calendar.setOption("businessHours", data.business_hours.length ? data.business_hours : { daysOfWeek: [] });
      });
  }

  // ---- the hours shown: 07:00-20:00, stretched to the whole hour around any appointment outside them
  // (an emergency at 20:30 must be seen).  Background events (absences) span whole days: not counted.
  var DAY_START = 7 * 60, DAY_END = 20 * 60;
  function hhmm(minutes) { return String(Math.floor(minutes / 60)).padStart(2, "0") + ":" + String(minutes % 60).padStart(2, "0") + ":00"; }
  function coverEvents(events) {
    var first = DAY_START, last = DAY_END;
    events.forEach(function (event) {
      if (event.allDay || !event.start || event.display === "background") { return; }
      var start = event.start, end = event.end || new Date(start.valueOf() + 30 * 60000);
      var sameDay = wall(start).slice(0, 10) === wall(new Date(end.valueOf() - 1)).slice(0, 10);
      first = Math.min(first, sameDay ? start.getUTCHours() * 60 + start.getUTCMinutes() : 0);
      last = Math.max(last, sameDay ? Math.ceil((end.valueOf() - Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate())) / 60000) : 24 * 60);
    });
    first = Math.floor(first / 60) * 60;
    last = Math.min(24 * 60, Math.ceil(last / 60) * 60);
    if (calendar.getOption("slotMinTime") !== hhmm(first)) { calendar.setOption("slotMinTime", hhmm(first)); }
    if (calendar.getOption("slotMaxTime") !== hhmm(last)) { calendar.setOption("slotMaxTime", hhmm(last)); }
  }

  // ---- moving and resizing
  function move(info) {
    var event = info.event;
    postJson(url("move", event.id), {
      starts_at: wall(event.start),
      duration_minutes: minutesBetween(event.start, event.end || event.start)
    }).then(function (answer) {
      if (!answer.ok) {
        info.revert();
        showMessage(answer.data.message || t("This change was refused."), "danger");
        return;
      }
      showMessage(t("Moved: ") + event.title + ", " + answer.data.event.start.replace("T", " ").slice(0, 16) + ".", "success");
      calendar.refetchEvents();
    });
  }

  // ---- booking
  var bookingForm = document.getElementById("booking-form");
  var bookingError = document.getElementById("booking-error");
  var typeSelect = document.getElementById("booking-type");
  var durationInput = document.getElementById("booking-duration");
  var picker = document.getElementById("booking-patient");

  function typeOf(id) {
    return config.types.filter(function (t) { return String(t.id) === String(id); })[0];
  }

  function typeChanged() {
    var type = typeOf(typeSelect.value);
    if (!type) { return; }
    durationInput.value = type.duration;
    document.getElementById("booking-override-group").hidden = !type.isEmergency;
  }

  function openBooking(start, end) {
    bookingForm.reset();
    window.CareTrailPatientPicker.reset(picker);
    showError(bookingError, "");
    // The time is the slot clicked, and can be changed in the popup.
    document.getElementById("booking-starts-at").value = wall(start).slice(0, 16);
    document.getElementById("booking-when").textContent = wall(start).replace("T", " ").slice(0, 16);
    document.getElementById("booking-doctor").value = doctorSelect.value;
    document.getElementById("booking-room").value = roomSelect.value;
    typeChanged();
    var selected = minutesBetween(start, end);
    if (selected > 15) { durationInput.value = selected; }  // a dragged range is the length wanted
    $("#booking-modal").modal("show");
  }

  if (bookingForm) {
    typeSelect.addEventListener("change", typeChanged);
    document.getElementById("booking-starts-at").addEventListener("change", function () {
      document.getElementById("booking-when").textContent = this.value.replace("T", " ");
    });
    $("#booking-modal").on("shown.bs.modal", function () { document.getElementById("booking-patient-query").focus(); });
    bookingForm.addEventListener("submit", function (submitEvent) {
      submitEvent.preventDefault();
      var data = {};
      new FormData(bookingForm).forEach(function (value, name) { data[name] = value; });
      if (data.starts_at && data.starts_at.length === 16) { data.starts_at += ":00"; }
      if (!data.patient_id) { showError(bookingError, t("Choose a patient: type a few letters of the name.")); return; }
      if (!data.doctor_id) { showError(bookingError, t("Choose a doctor.")); return; }
      var button = document.getElementById("booking-submit");
      button.disabled = true;
      postJson(config.urls.book, data).then(function (answer) {
        button.disabled = false;
        if (!answer.ok) { showError(bookingError, answer.data.message || t("This booking was refused.")); return; }
        $("#booking-modal").modal("hide");
        showMessage(t("Booked: ") + answer.data.event.title + ", " +
                    answer.data.event.start.replace("T", " ").slice(0, 16) + ".", "success");
        calendar.refetchEvents();
      });
    });
  }

  // ---- an appointment's popup: details and status changes
  var eventError = document.getElementById("event-error");
  var cancelGroup = document.getElementById("event-cancel-group");
  var shownEvent = null;

  function detail(list, label, value) {
    if (!value) { return; }
    var term = document.createElement("dt");
    term.textContent = label;
    var description = document.createElement("dd");
    description.textContent = value;
    list.appendChild(term);
    list.appendChild(description);
  }

  function changeStatus(status, reason) {
    postJson(url("status", shownEvent.id), { status: status, cancellation_reason: reason || null })
      .then(function (answer) {
        if (!answer.ok) { showError(eventError, answer.data.message || t("This change was refused.")); return; }
        $("#event-modal").modal("hide");
        showMessage(shownEvent.title + ": " + answer.data.event.extendedProps.status_label + ".", "success");
        calendar.refetchEvents();
      });
  }

  function openEvent(event) {
    var props = event.extendedProps;
    shownEvent = event;
    showError(eventError, "");
    cancelGroup.hidden = true;
    document.getElementById("event-cancel-reason").value = "";
    document.getElementById("event-title").textContent = event.title;
    var list = document.getElementById("event-details");
    list.innerHTML = "";
    detail(list, t("When"), event.startStr.slice(0, 16).replace("T", " ") + " - " + event.endStr.slice(11, 16) +
           " (" + props.duration_minutes + " min)");
    detail(list, t("Patient"), props.patient);
    detail(list, t("Doctor"), props.doctor);
    detail(list, t("Type"), props.type);
    detail(list, t("Room"), props.room);
    detail(list, t("Status"), props.status_label);
    detail(list, t("Cancelled because"), props.cancellation_reason);
    detail(list, t("Doctor away"), props.needs_rebooking ? t("To be rebooked (postpone it)") : null);
    detail(list, t("Kept during the absence"), props.absence_exception_reason);
    detail(list, t("Notes"), props.notes);
    var actions = document.getElementById("event-actions");
    actions.innerHTML = "";
    props.next_statuses.forEach(function (next) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-sm " + (next.code === "cancelled" ? "btn-danger" : "btn-default");
      button.dataset.status = next.code;
      button.textContent = next.code === "cancelled" ? t("Cancel...") : next.label;
      button.addEventListener("click", function () {
        if (next.code === "cancelled") { cancelGroup.hidden = false; document.getElementById("event-cancel-reason").focus(); return; }
        changeStatus(next.code);
      });
      actions.appendChild(button);
    });
    if (props.can_postpone) {
      // Postponing asks for the new time: the slot finder, started from this appointment.
      var postpone = document.createElement("a");
      postpone.className = "btn btn-sm btn-warning ct-postpone";
      postpone.href = url("postpone", event.id);
      postpone.textContent = t("Postpone...");
      actions.appendChild(postpone);
    }
    document.getElementById("event-open").href = url("show", event.id);
    document.getElementById("event-ics").href = url("ics", event.id);
    $("#event-modal").modal("show");
  }

  document.getElementById("event-cancel-confirm").addEventListener("click", function () {
    var reason = document.getElementById("event-cancel-reason").value.trim();
    if (!reason) { showError(eventError, t("Give a reason for the cancellation.")); return; }
    changeStatus("cancelled", reason);
  });

  // ---- the calendar
  // Sent here by the day view's columns (?book=2026-12-07T14:00:00): the popup opens for that
  // time once the calendar is drawn (read first: drawing rewrites the address).
  var asked = new URLSearchParams(window.location.search).get("book");
  var calendar = new FullCalendar.Calendar(holder, {
    timeZone: config.timezone,
    now: hospitalNow,
    // On a phone the day is a list (columns of a week do not fit 600 px).
    initialView: window.matchMedia("(max-width: 600px)").matches ? "listDay" : config.initialView,
    initialDate: config.initialDate || undefined,
    firstDay: 1,
    // Titles and list headings in the user's language (the browser's Intl data; no locale file to load).
    locales: [{ code: language, week: { dow: 1, doy: 4 }, noEventsText: t("No appointment") }],
    locale: language,
    headerToolbar: { left: "prev,next today", center: "title", right: "timeGridDay,timeGridWeek,dayGridMonth" },
    buttonText: { today: t("Today"), day: t("Day"), week: t("Week"), month: t("Month") },
    allDaySlot: false,
    slotDuration: "00:15:00",
    slotLabelInterval: "01:00",
    slotMinTime: "07:00:00",
    slotMaxTime: "20:00:00",  // widened by coverEvents() when an appointment falls outside
    slotLabelFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    nowIndicator: true,
    dayHeaderContent: function (arg) {
      // "Mon 07/12": day first, as the hospital writes dates (arg.date is UTC-coerced).
      var day = arg.date;
      var weekday = new Intl.DateTimeFormat(language, { weekday: "short", timeZone: "UTC" }).format(day);
      if (arg.view.type === "dayGridMonth") { return weekday; }
      return weekday + " " + String(day.getUTCDate()).padStart(2, "0") + "/" + String(day.getUTCMonth() + 1).padStart(2, "0");
    },
    height: "auto",
    dayMaxEvents: 6,
    selectable: config.canWrite,
    selectMirror: true,
    editable: config.canWrite,
    eventDurationEditable: true,
    businessHours: false,
    // With every doctor shown, each event names its doctor.
    eventDataTransform: function (event) {
      var props = event.extendedProps || {};
      if (!doctorSelect.value && props.kind === "appointment" && props.doctor) {
        event.title = props.doctor + " · " + event.title;
      }
      return event;
    },
    events: {
      url: config.urls.events,
      extraParams: filters,
      failure: function () { showMessage(t("The calendar could not load its appointments; reload the page."), "danger"); }
    },
    select: function (info) {
      calendar.unselect();
      if (info.allDay) { calendar.changeView("timeGridDay", info.startStr); return; }  // month view: open the day
      openBooking(info.start, info.end);
    },
    eventClick: function (info) {
      info.jsEvent.preventDefault();
      if (info.event.extendedProps.kind === "appointment") { openEvent(info.event); }
    },
    eventsSet: function (events) { coverEvents(events); },
    eventDrop: move,
    eventResize: move,
    datesSet: function () { refreshHours(); rememberInUrl(); }
  });
  calendar.render();
  window.careTrailCalendar = calendar;  // for the browser tests and the curious

  if (bookingForm && /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?$/.test(asked || "")) {
    var from = new Date(asked.slice(0, 16) + ":00Z");  // wall time, as the calendar's UTC-coerced dates
    openBooking(from, new Date(from.valueOf() + 15 * 60000));
  }

  function filtersChanged() {
    messageBox.hidden = true;
    calendar.refetchEvents();
    refreshHours();
    rememberInUrl();
  }
  [doctorSelect, roomSelect, inactiveBox].forEach(function (control) {
    control.addEventListener("change", filtersChanged);
  });
  document.getElementById("calendar-filters").addEventListener("submit", function (event) {
    event.preventDefault();
    filtersChanged();
  });
})();
