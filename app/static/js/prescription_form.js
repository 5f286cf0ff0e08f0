// Prescription editor: "Add a line" copies the last line, blank (the form's
// fields are named items-N-...), and each line's medication is found as you
// type (GET data-lookup-url?q=...); the chosen id goes into the line's
// hidden input, and its usual route into the Route field when it is empty.
// Without this script the form still works: blank lines are offered, and a
// medication may be typed by its code or exact name.
(function () {
  "use strict";
  var DELAY_MS = 200;
  var form = document.getElementById("prescription-form");
  if (!form) { return; }
  var lookupUrl = form.getAttribute("data-lookup-url");
  var lines = document.querySelector("#prescription-lines tbody");

  function enhance(row) {
    var picker = row.querySelector(".ct-medication-picker");
    if (!picker || picker.dataset.ready) { return; }
    picker.dataset.ready = "1";
    var query = picker.querySelector(".ct-medication-query");
    var hidden = picker.querySelector(".ct-medication-id");
    var matches = picker.querySelector(".ct-medication-matches");
    var route = row.querySelector("input[name$='-route']");
    var timer = null;
    var inFlight = null;

    function clear() { matches.innerHTML = ""; }

    function choose(medication) {
      hidden.value = medication.id;
      query.value = medication.label;
      if (route && !route.value) { route.value = medication.route; }
      clear();
    }

    function show(medications) {
      clear();
      medications.forEach(function (medication) {
        var item = document.createElement("button");
        item.type = "button";
        item.className = "list-group-item ct-medication-match";
        item.setAttribute("role", "option");
        item.textContent = medication.label + " (" + medication.substances + ")";
        item.addEventListener("click", function () { choose(medication); });
        matches.appendChild(item);
      });
    }

    function search() {
      var text = query.value.trim();
      if (inFlight) { inFlight.abort(); }
      if (text.length < 2) { clear(); return; }
      inFlight = new AbortController();
      fetch(lookupUrl + "?q=" + encodeURIComponent(text), { credentials: "same-origin", signal: inFlight.signal })
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(show)
        .catch(function (error) { if (error.name !== "AbortError") { clear(); } });
    }

    query.addEventListener("input", function () {
      hidden.value = "";  // typed again: no longer the medication picked
      window.clearTimeout(timer);
      timer = window.setTimeout(search, DELAY_MS);
    });
    query.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        var first = matches.querySelector(".ct-medication-match");
        if (first) { event.preventDefault(); first.click(); }
      }
    });
  }

  function addLine() {
    var rows = lines.querySelectorAll("tr.ct-line");
    var last = rows[rows.length - 1];
    var copy = last.cloneNode(true);
    var index = rows.length;
    copy.querySelectorAll("input, select, textarea").forEach(function (input) {
      ["name", "id"].forEach(function (attribute) {
        var value = input.getAttribute(attribute);
        if (value) { input.setAttribute(attribute, value.replace(/^items-\d+-/, "items-" + index + "-")); }
      });
      if (input.type === "checkbox") { input.checked = false; } else { input.value = ""; }
    });
    copy.querySelector(".ct-medication-matches").innerHTML = "";
    delete copy.querySelector(".ct-medication-picker").dataset.ready;
    lines.appendChild(copy);
    enhance(copy);
    copy.querySelector(".ct-medication-query").focus();
  }

  lines.querySelectorAll("tr.ct-line").forEach(enhance);
  document.getElementById("add-line").addEventListener("click", addLine);
}());
