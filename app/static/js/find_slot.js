// Find a slot: each "Book" button books for the patient chosen in the
// picker above, even when the patient was picked after the search.
(function () {
  "use strict";
  var chosen = document.getElementById("slot-patient-id");
  document.querySelectorAll("form.ct-book-slot").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var patientId = chosen ? chosen.value : form.elements.patient_id.value;
      if (!patientId) {
        event.preventDefault();
        window.alert(form.getAttribute("data-choose-patient") || "Choose the patient first: type a few letters of the name above.");
        if (chosen) { document.getElementById("slot-patient-query").focus(); }
        return;
      }
      form.elements.patient_id.value = patientId;
    });
  });
})();
