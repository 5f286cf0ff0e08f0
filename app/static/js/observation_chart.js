// Vital signs: fetches one kind's measurements from the API's chart endpoint
// (the canvas's data-url) and draws them with Chart.js (served by the app).
(function () {
  "use strict";
  var canvas = document.getElementById("observation-chart");
  if (!canvas || !window.Chart) { return; }
  fetch(canvas.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (answer) { return answer.ok ? answer.json() : null; })
    .then(function (series) {
      if (!series) { return; }
      var labels = series.points.map(function (p) { return new Date(p.at).toLocaleString(); });
      var colour = function (ctx) { var p = series.points[ctx.dataIndex]; return p && p.abnormal ? "#a94442" : "#31708f"; };
      var datasets = [{
        label: series.label + " (" + series.unit + ")" + (series.kind === "blood_pressure" ? " systolic" : ""),
        data: series.points.map(function (p) { return p.value; }),
        borderColor: "#31708f", pointBackgroundColor: colour, pointRadius: 4
      }];
      if (series.kind === "blood_pressure") {
        datasets.push({ label: "diastolic", data: series.points.map(function (p) { return p.diastolic; }),
                        borderColor: "#8a6d3b", pointBackgroundColor: colour, pointRadius: 4 });
      }
      new Chart(canvas, { type: "line", data: { labels: labels, datasets: datasets } });
    });
})();
