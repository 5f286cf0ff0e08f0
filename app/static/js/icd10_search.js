// The consultation editor's ICD-10 finder: code or words (accents ignored),
// a click adds the code as a line of the diagnoses box.
(function () {
  "use strict";
  var input = document.getElementById("icd10-query");
  var list = document.getElementById("icd10-results");
  var box = document.getElementById("c-diagnoses");
  if (!input || !list || !box) { return; }
  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    var q = input.value.trim();
    if (q.length < 2) { list.textContent = ""; return; }
    timer = setTimeout(function () {
      fetch(input.dataset.searchUrl + "?term=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (answer) { return answer.ok ? answer.json() : { result: [] }; })
        .then(function (found) {
          list.textContent = "";
          found.result.forEach(function (entry) {
            var item = document.createElement("li");
            var link = document.createElement("a");
            link.href = "#";
            link.textContent = entry.code + " " + entry.label;
            link.addEventListener("click", function (event) {
              event.preventDefault();
              box.value = (box.value.trim() ? box.value.trim() + "\n" : "") + entry.code;
            });
            item.appendChild(link);
            list.appendChild(item);
          });
        });
    }, 250);
  });
})();
