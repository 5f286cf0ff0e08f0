// Audit statistics: draws the charts from the JSON the page embeds.
(function () {
  "use strict";
  var holder = document.getElementById("audit-stats-data");
  if (!holder || !window.Chart) { return; }
  var data = JSON.parse(holder.textContent);
  var colours = { INSERT: "#3c763d", UPDATE: "#31708f", DELETE: "#a94442", TRUNCATE: "#8a6d3b" };
  var actions = Object.keys(colours);

  new Chart(document.getElementById("chart-per-day"), {
    type: "line",
    data: {
      labels: data.per_day.map(function (d) { return d.day; }),
      datasets: [{ label: "changes", data: data.per_day.map(function (d) { return d.count; }), borderColor: "#31708f" }]
    },
    options: { plugins: { legend: { display: false } } }
  });
  new Chart(document.getElementById("chart-per-action"), {
    type: "doughnut",
    data: {
      labels: actions,
      datasets: [{ data: actions.map(function (a) { return data.per_action[a] || 0; }),
                   backgroundColor: actions.map(function (a) { return colours[a]; }) }]
    }
  });
  new Chart(document.getElementById("chart-per-user"), {
    type: "bar",
    data: {
      labels: data.per_user.map(function (u) { return u.user; }),
      datasets: [{ label: "changes", data: data.per_user.map(function (u) { return u.count; }), backgroundColor: "#31708f" }]
    },
    options: { indexAxis: "y", plugins: { legend: { display: false } } }
  });
  new Chart(document.getElementById("chart-per-table"), {
    type: "bar",
    data: {
      labels: data.per_table.map(function (t) { return t.table; }),
      datasets: actions.map(function (a) {
        return { label: a, backgroundColor: colours[a],
                 data: data.per_table.map(function (t) { return t.actions[a] || 0; }) };
      })
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true } } }
  });
})();
