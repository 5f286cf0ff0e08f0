// Patient picker: type a few letters of a name (accents and capitals do not
// matter, "helene dubois" finds Hélène DUBOIS), pick the patient from the
// matches.  The chosen id goes into the hidden input; the picker fires a
// "patient-picked" event (detail: {id, label}).  Answers that arrive after
// a newer search was sent are dropped.
//
// Markup: <div class="ct-patient-picker" data-lookup-url="/patient-lookup/">
//           <input class="ct-patient-query"> <input type="hidden" class="ct-patient-id">
//           <div class="ct-patient-matches"></div></div>
(function () {
  "use strict";
  var DELAY_MS = 200;

  function enhance(picker) {
    if (picker.dataset.ready) { return; }
    picker.dataset.ready = "1";
    var query = picker.querySelector(".ct-patient-query");
    var hidden = picker.querySelector(".ct-patient-id");
    var matches = picker.querySelector(".ct-patient-matches");
    var noMatch = picker.getAttribute("data-no-match") || "No patient matches.";  // in the page's language
    var url = picker.getAttribute("data-lookup-url");
    var timer = null;
    var inFlight = null;

    function clearMatches() { matches.innerHTML = ""; }

    function choose(patient) {
      hidden.value = patient ? patient.id : "";
      query.value = patient ? patient.label : query.value;
      clearMatches();
      picker.classList.toggle("ct-patient-chosen", Boolean(patient));
      picker.dispatchEvent(new CustomEvent("patient-picked", { bubbles: true, detail: patient }));
    }

    function hint(message) {
      clearMatches();
      var note = document.createElement("div");
      note.className = "list-group-item ct-patient-none";
      note.textContent = message;
      matches.appendChild(note);
    }

    function show(patients) {
      clearMatches();
      if (!patients.length) {
        var none = document.createElement("div");
        none.className = "list-group-item ct-patient-none";
        none.textContent = noMatch;
        matches.appendChild(none);
        return;
      }
      patients.forEach(function (patient) {
        var item = document.createElement("button");
        item.type = "button";
        item.className = "list-group-item ct-patient-match";
        item.setAttribute("role", "option");
        item.dataset.patientId = patient.id;
        item.textContent = patient.label;
        item.addEventListener("click", function () { choose(patient); });
        matches.appendChild(item);
      });
    }

    function search() {
      var text = query.value.trim();
      if (inFlight) { inFlight.abort(); }
      if (text.length < 3) { clearMatches(); if (text.length) { hint("Type at least 3 letters."); } return; }
      inFlight = new AbortController();
      fetch(url + "?q=" + encodeURIComponent(text), { credentials: "same-origin", signal: inFlight.signal })
        .then(function (response) {
          // A refusal (one or two letters) says why in its message.
          return response.json().then(function (body) { return response.ok ? body : { message: body.message }; });
        })
        .then(function (body) { if (Array.isArray(body)) { show(body); } else { hint(body.message || noMatch); } })
        .catch(function (error) { if (error.name !== "AbortError") { clearMatches(); } });
    }

    query.addEventListener("input", function () {
      if (hidden.value) { choose(null); }
      window.clearTimeout(timer);
      timer = window.setTimeout(search, DELAY_MS);
    });
    query.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {  // Enter picks the first match instead of submitting the form
        var first = matches.querySelector(".ct-patient-match");
        if (first) { event.preventDefault(); first.click(); }
      }
    });
    if (hidden.value) { picker.classList.add("ct-patient-chosen"); }
  }

  window.CareTrailPatientPicker = {
    enhanceAll: function (root) {
      (root || document).querySelectorAll(".ct-patient-picker").forEach(enhance);
    },
    reset: function (picker) {
      picker.querySelector(".ct-patient-query").value = "";
      picker.querySelector(".ct-patient-id").value = "";
      picker.querySelector(".ct-patient-matches").innerHTML = "";
      picker.classList.remove("ct-patient-chosen");
    }
  };
  window.CareTrailPatientPicker.enhanceAll();
})();
