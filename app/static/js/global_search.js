// The top bar's global search: GET /api/v1/search?q= as you type (the page's
// session signs the request), results grouped by kind, arrows to move, Enter
// to open, Escape to close; "/" anywhere but in a field focuses the box.
(function () {
  "use strict";
  var input = document.getElementById("global-search-input");
  var box = document.getElementById("global-search-results");
  if (!input || !box || input.getAttribute("data-ready")) { return; }
  input.setAttribute("data-ready", "1");
  var labels = JSON.parse(input.getAttribute("data-kind-labels"));
  var timer = null, sequence = 0, selected = -1;
  var ORDER = ["patients", "appointments", "documents", "prescriptions"];

  function links() { return box.querySelectorAll("a"); }

  function close() { box.hidden = true; input.setAttribute("aria-expanded", "false"); selected = -1; }

  function select(index) {
    var all = links();
    if (!all.length) { return; }
    selected = (index + all.length) % all.length;
    Array.prototype.forEach.call(all, function (link, i) { link.setAttribute("aria-selected", String(i === selected)); });
    all[selected].scrollIntoView({ block: "nearest" });
    input.setAttribute("aria-activedescendant", all[selected].id);
  }

  function show(data) {
    box.textContent = "";
    var count = 0;
    // JSON objects come back with sorted keys: patients first, whatever the order.
    var groups = data.groups || {};
    var kinds = ORDER.filter(function (kind) { return kind in groups; })
      .concat(Object.keys(groups).filter(function (kind) { return ORDER.indexOf(kind) < 0; }));
    kinds.forEach(function (kind) {
      var rows = groups[kind];
      if (!rows.length) { return; }
      var heading = document.createElement("h3");
      heading.textContent = labels[kind] || kind;
      box.appendChild(heading);
      rows.forEach(function (row) {
        var link = document.createElement("a");
        link.href = row.url;
        link.id = "global-search-" + kind + "-" + row.id;
        link.setAttribute("role", "option");
        link.setAttribute("data-kind", kind);
        link.textContent = row.label;
        var detail = document.createElement("small");
        detail.textContent = row.detail;
        link.appendChild(detail);
        box.appendChild(link);
        count += 1;
      });
    });
    if (!count) { note(input.getAttribute("data-empty")); return; }
    box.hidden = false;
    input.setAttribute("aria-expanded", "true");
    selected = -1;
  }

  function note(text) {
    box.textContent = "";
    var p = document.createElement("div");
    p.className = "search-note";
    p.textContent = text;
    box.appendChild(p);
    box.hidden = false;
  }

  function search() {
    var text = input.value.trim();
    if (text.length < 3 && !/\d/.test(text)) { close(); return; }
    var mine = ++sequence;
    fetch(input.getAttribute("data-url") + "?q=" + encodeURIComponent(text),
      { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json().then(function (data) { return { ok: response.ok, data: data }; }); })
      .then(function (answer) {
        if (mine !== sequence) { return; }
        if (answer.ok) { show(answer.data); return; }
        var message = answer.data && answer.data.message;
        note(typeof message === "string" ? message : (message && message.q ? message.q.join(" ") : ""));
      }, function () {});
  }

  input.addEventListener("input", function () { window.clearTimeout(timer); timer = window.setTimeout(search, 200); });
  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown") { event.preventDefault(); select(selected + 1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); select(selected - 1); }
    else if (event.key === "Enter") {
      var all = links();
      var target = selected >= 0 ? all[selected] : all[0];
      if (target) { event.preventDefault(); window.location.href = target.href; }
    } else if (event.key === "Escape") { close(); }
  });
  // Pressing on a result keeps the focus in the box: a blur there shrinks the box (search.css, below
  // 1400 px) and reflows the admin's crowded bar between the press and the click.
  box.addEventListener("mousedown", function (event) { event.preventDefault(); });
  document.addEventListener("click", function (event) { if (!event.target.closest(".global-search")) { close(); } });
  document.addEventListener("keydown", function (event) {
    var field = event.target.closest("input, textarea, select, [contenteditable]");
    if (event.key === "/" && !field && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      input.focus();
      input.select();
    }
  });
}());
