// The day view (templates/pages/calendar_day.html): EventCalendar's
// resourceTimeGridDay, one column per doctor (or room), fed by the
// calendar's own events URL.  Times are the hospital's wall times without
// offset, shown as they are.  On a phone (<= 600 px) the day is a list.
// Clicking an empty slot of a doctor's column books there (the calendar's popup).
(function () {
  "use strict";
  var holder = document.getElementById("day-calendar");
  var configNode = document.getElementById("day-config");
  if (!holder || !configNode || !window.EventCalendar) { return; }
  var config = JSON.parse(configNode.textContent);
  var phone = window.matchMedia("(max-width: 600px)");
  var key = config.by === "room" ? "room_id" : "doctor_id";
  // The page's words in the user's language (templates/pages/calendar_day.html, #day-messages), as calendar.js does.
  var messagesNode = document.getElementById("day-messages");
  var messages = messagesNode ? JSON.parse(messagesNode.textContent) : {};
  function t(text) { return messages[text] || text; }
  var language = document.documentElement.lang || "en";

  function wall(date) {
    var pad = function (n) { return String(n).padStart(2, "0"); };
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) + "T" +
      pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":00";
  }

  // The hours shown: 07:00-20:00, stretched to the whole hour around any appointment outside them
  // (an emergency at 20:30 must be seen).  Times are wall-clock strings ("2026-12-07T20:30:00").
  function minutesOf(text) { return +text.slice(11, 13) * 60 + +text.slice(14, 16); }
  function hhmm(minutes) { return String(Math.floor(minutes / 60)).padStart(2, "0") + ":" + String(minutes % 60).padStart(2, "0") + ":00"; }
  function coverEvents(events) {
    var first = 7 * 60, last = 20 * 60;
    events.forEach(function (e) {
      if (e.display === "background" || e.allDay || !e.start || e.start.length < 16) { return; }
      var end = e.end && e.end.length >= 16 ? e.end : e.start;
      var sameDay = end.slice(0, 10) === e.start.slice(0, 10);
      first = Math.min(first, minutesOf(e.start));
      last = Math.max(last, sameDay ? minutesOf(end) : 24 * 60);
    });
    var min = hhmm(Math.floor(first / 60) * 60), max = hhmm(Math.min(24 * 60, Math.ceil(last / 60) * 60));
    if (calendar.getOption("slotMinTime") !== min) { calendar.setOption("slotMinTime", min); }
    if (calendar.getOption("slotMaxTime") !== max) { calendar.setOption("slotMaxTime", max); }
  }

  function load(info, success, failure) {
    var url = config.urls.events + "?start=" + encodeURIComponent(wall(info.start)) +
      "&end=" + encodeURIComponent(wall(info.end));
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (events) {
        coverEvents(events);
        success(events.filter(function (e) { return e.extendedProps && e.extendedProps[key] != null; })
          .map(function (e) {
            var p = e.extendedProps;
            // Every event names its doctor, in both views.
            return { id: e.id, resourceIds: [p[key]], start: e.start, end: e.end, backgroundColor: e.color,
              title: (p.kind === "appointment" ? p.doctor + " · " : "") + e.title, extendedProps: p };
          }));
      }, failure);
  }

  function print() {
    var link = document.getElementById("day-print");
    var day = calendar.getOption("date");
    var iso = day.getFullYear() + "-" + String(day.getMonth() + 1).padStart(2, "0") + "-" + String(day.getDate()).padStart(2, "0");
    link.href = config.urls.print + "?date=" + iso;
  }

  var calendar = window.EventCalendar.create(holder, {
    view: phone.matches ? "listDay" : "resourceTimeGridDay",
    date: config.date,
    resources: config.resources,
    eventSources: [{ events: load }],
    slotMinTime: "07:00:00",
    slotMaxTime: "20:00:00",
    allDaySlot: false,
    // 24-hour times, as the hospital writes them.
    eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    slotLabelFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    nowIndicator: true,
    // Titles and day names through the browser's Intl data; the library's own words from the page.
    locale: language,
    buttonText: function (text) { return Object.assign({}, text, { today: t("Today"), close: t("Close") }); },
    noEventsContent: t("No appointment"),
    headerToolbar: { start: "prev,next today", center: "title", end: "" },
    // An empty slot of a doctor's column: the calendar's booking popup for that doctor, at that time.
    dateClick: function (info) {
      if (!config.canWrite || !info.resource) { return; }
      var at = wall(info.date);
      window.location.href = config.urls.book + "?" + new URLSearchParams({
        doctor_id: info.resource.id, date: at.slice(0, 10), view: "timeGridDay", book: at
      }).toString();
    },
    eventClick: function (info) {
      if (info.event.extendedProps.kind === "appointment") {
        window.location.href = config.urls.show.replace("__ID__", info.event.id);
      }
    },
    datesSet: function () { if (typeof calendar !== "undefined") { print(); } }
  });
  // EventCalendar marks its layout up as an ARIA table whose rows also hold its
  // toolbar, side columns and event buttons, which a table may not (axe:
  // aria-required-children, critical).  The layout is read as plain boxes
  // instead: each event stays a button naming its time, doctor and patient.
  var LAYOUT_ROLES = ["table", "rowgroup", "row", "columnheader", "rowheader", "cell", "gridcell", "list", "listitem"];
  var LAYOUT_ATTRIBUTES = ["aria-colindex", "aria-rowindex", "aria-colcount", "aria-rowcount"];
  function plainLayout() {
    Array.prototype.forEach.call(holder.querySelectorAll("[role]"), function (node) {
      if (LAYOUT_ROLES.indexOf(node.getAttribute("role")) >= 0) { node.removeAttribute("role"); }
    });
    LAYOUT_ATTRIBUTES.forEach(function (name) {
      Array.prototype.forEach.call(holder.querySelectorAll("[" + name + "]"), function (node) { node.removeAttribute(name); });
    });
  }
  plainLayout();
  new MutationObserver(plainLayout).observe(holder, {
    subtree: true, childList: true, attributes: true, attributeFilter: ["role"].concat(LAYOUT_ATTRIBUTES)
  });
  phone.addEventListener("change", function (media) {
    calendar.setOption("view", media.matches ? "listDay" : "resourceTimeGridDay");
  });
}());
