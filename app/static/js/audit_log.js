// Audit log: search as you type.  The filter form is a plain GET form; this
// script refreshes only the results (?partial=1) a moment after the user
// stops typing, keeps the filters in the address bar (bookmarkable), and
// drops answers that arrive after a newer search was sent.
(function () {
  "use strict";
  var form = document.querySelector("form.audit-filters");
  if (!form || !window.fetch) { return; }
  var results = document.querySelector(form.getAttribute("data-results"));
  var DELAY_MS = 300;
  var timer = null;
  var inFlight = null;

  function queryString() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (String(value).trim() !== "") { params.append(name, value); }
    });
    return params.toString();
  }

  function refresh() {
    var query = queryString();
    window.history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
    if (inFlight) { inFlight.abort(); }
    inFlight = new AbortController();
    var url = window.location.pathname + "?" + (query ? query + "&" : "") + "partial=1";
    results.setAttribute("aria-busy", "true");
    fetch(url, { credentials: "same-origin", signal: inFlight.signal })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#audit-results");
        if (fresh) { results.replaceWith(fresh); results = fresh; }
      })
      .catch(function (error) {
        if (error.name !== "AbortError") { results.removeAttribute("aria-busy"); }
      });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, DELAY_MS);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    window.clearTimeout(timer);
    refresh();
  });
})();

// Audit log: an entry's fields, origin and links are fetched when it is
// opened (the list reads the entries without their rows); its link leads to
// the entry's own page without JavaScript.  `toggle` does not bubble: it is
// caught on its way down, so entries drawn by a later search are served too.
(function () {
  "use strict";
  if (!window.fetch) { return; }

  function load(detail) {
    var url = detail.getAttribute("data-detail-url");
    detail.removeAttribute("data-detail-url");  // once
    detail.setAttribute("aria-busy", "true");
    fetch(url + "&partial=1", { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        detail.innerHTML = html;
        detail.removeAttribute("aria-busy");
      })
      .catch(function () {
        detail.setAttribute("data-detail-url", url);  // tried again when reopened; the link stays
        detail.removeAttribute("aria-busy");
      });
  }

  document.addEventListener("toggle", function (event) {
    var entry = event.target;
    if (!entry.open || !entry.closest || !entry.closest(".audit-entry")) { return; }
    var detail = entry.querySelector(":scope > .audit-detail[data-detail-url]");
    if (detail) { load(detail); }
  }, true);
})();
