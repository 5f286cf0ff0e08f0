// A role's home (templates/home/): draws its charts with the bundled Chart.js
// and refreshes its figures from GET /api/v1/home/<kind> (the same JSON the
// page was built from). window.CareTrailHome.refresh() lets a live
// notification refresh it at once; otherwise every two minutes.
(function () {
  "use strict";
  var root = document.getElementById("role-home");
  var dataNode = document.getElementById("home-figures");
  if (!root || !dataNode) { return; }
  var charts = {};
  var STATUS_COLOURS = { scheduled: "#3498db", confirmed: "#2980b9", arrived: "#e67e22", completed: "#27ae60",
    cancelled: "#95a5a6", no_show: "#c0392b", postponed: "#8e44ad" };

  function pick(figures, path) {
    return path.split(".").reduce(function (value, key) { return value == null ? value : value[key]; }, figures);
  }

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas || !window.Chart) { return; }
    if (charts[id]) {
      charts[id].data = config.data;
      charts[id].update();
    } else {
      charts[id] = new window.Chart(canvas, config);
    }
  }

  function render(figures) {
    if (figures.status_counts) {
      var names = Object.keys(figures.status_counts);
      // No appointment today: a line saying so, not an empty chart's space
      // (style, not only `hidden`: Chart.js gives the canvas display: block).
      var canvas = document.getElementById("home-chart-status");
      var none = canvas && canvas.parentNode.querySelector(".home-chart-empty");
      if (canvas) {
        canvas.hidden = names.length === 0;
        canvas.style.display = names.length === 0 ? "none" : "block";
      }
      if (none) { none.hidden = names.length > 0; }
      // The legend names each status in the user's language (status_labels, app/home/rules.py), never its code.
      var labels = figures.status_labels || {};
      if (names.length > 0) draw("home-chart-status", { type: "doughnut", options: { animation: false, plugins: { legend: { position: "right" } } },
        data: { labels: names.map(function (n) { return labels[n] || n; }), datasets: [{ data: names.map(function (n) { return figures.status_counts[n]; }),
          backgroundColor: names.map(function (n) { return STATUS_COLOURS[n] || "#7f8c8d"; }) }] } });
    }
    if (figures.audit) {
      draw("home-chart-hours", { type: "bar", options: { animation: false, plugins: { legend: { display: false } } },
        data: { labels: figures.audit.per_hour.map(function (_, hour) { return hour + "h"; }),
          datasets: [{ label: "changes", data: figures.audit.per_hour, backgroundColor: "#3c8dbc" }] } });
    }
    Array.prototype.forEach.call(root.querySelectorAll("[data-count]"), function (badge) {
      var value = pick(figures, badge.getAttribute("data-count"));
      badge.textContent = Array.isArray(value) ? value.length : (value == null ? "" : value);
    });
  }

  // The lists (waiting room, agendas) are the server's own HTML: the home
  // page is read again and each [data-live-part] swapped for its new copy.
  function swapParts(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    Array.prototype.forEach.call(root.querySelectorAll("[data-live-part]"), function (part) {
      var copy = fresh.querySelector('[data-live-part="' + part.getAttribute("data-live-part") + '"]');
      if (copy) { part.innerHTML = copy.innerHTML; }
    });
    var figures = fresh.getElementById("home-figures");
    if (figures) { render(JSON.parse(figures.textContent)); }
    root.setAttribute("data-refreshed", String(Date.now()));
  }

  function refresh() {
    if (root.querySelector("[data-live-part]")) {
      return fetch(window.location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) { if (html) { swapParts(html); } }, function () {});
    }
    return fetch(root.getAttribute("data-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (figures) { if (figures) { render(figures); } }, function () {});
  }

  // The reception's Check in buttons (templates/home/_appointments.html): the
  // form is POSTed in the background (its CSRF token with it), the lists are
  // redrawn (the row moves to the waiting room) and a refusal is shown as a
  // message; without this script the same form posts and the page comes back.
  function say(text, kind) {
    var box = root.querySelector(".home-messages");
    if (!box) { return; }
    var message = document.createElement("div");
    message.className = "alert alert-" + kind;
    message.textContent = text;
    box.textContent = "";
    box.appendChild(message);
  }

  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("home-check-in-form")) { return; }
    event.preventDefault();
    var button = form.querySelector("button");
    if (button) { button.disabled = true; }
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (answer) { return { ok: response.ok && answer.ok, answer: answer }; },
          function () { return { ok: false, answer: {} }; });
      })
      .then(function (result) {
        if (!result.ok) {
          say(result.answer.message || form.getAttribute("data-refused"), "danger");
          if (button) { button.disabled = false; }
        } else {
          say(result.answer.message || "", "success");
        }
        return refresh();
      }, function () {
        say(form.getAttribute("data-refused"), "danger");
        if (button) { button.disabled = false; }
      });
  });

  render(JSON.parse(dataNode.textContent));
  window.CareTrailHome = { refresh: refresh };
  window.setInterval(refresh, 120000);
}());
