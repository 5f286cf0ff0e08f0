// Accessibility safety net over FAB's generated markup (its list checkboxes,
// select2's widgets, FullCalendar's icons carry no accessible name): every
// field gets a name from its label, its column or its placeholder; wide
// regions that scroll can be reached by keyboard.  Runs again when widgets
// draw themselves later (MutationObserver).
(function () {
  "use strict";
  var script = document.currentScript;
  var words = {
    selectAll: script.dataset.selectAll || "Select all",
    selectRow: script.dataset.selectRow || "Select this row",
    search: script.dataset.search || "Search",
    matches: script.dataset.matches || "Matches",
  };

  function hasName(element) {
    return element.getAttribute("aria-label") || element.getAttribute("aria-labelledby") && labelledText(element) ||
      element.title || (element.labels && element.labels.length && element.labels[0].textContent.trim());
  }

  function labelledText(element) {
    return element.getAttribute("aria-labelledby").split(/\s+/).map(function (id) {
      var target = document.getElementById(id);
      return target ? target.textContent.trim() : "";
    }).join("");
  }

  function labelOfSelect(select) {
    if (select.labels && select.labels.length) return select.labels[0].textContent.trim();
    var row = select.closest("tr");
    var th = row && row.querySelector("th");
    return th ? th.textContent.trim() : select.name;
  }

  function nameFields(root) {
    root.querySelectorAll("input:not([type=hidden]), select, textarea").forEach(function (field) {
      if (hasName(field)) return;
      var name;
      if (field.id === "check_all" || field.classList.contains("action_check_all")) name = words.selectAll;
      else if (field.type === "checkbox" && field.closest("td")) name = words.selectRow;
      else if (field.classList.contains("select2-search__field")) name = words.search;
      else name = field.placeholder || labelOfSelect(field) || words.search;
      field.setAttribute("aria-label", name);
    });
    // select2: the visible combobox takes the name of the select it stands for.
    root.querySelectorAll(".select2-container").forEach(function (container) {
      var select = container.previousElementSibling;
      var box = container.querySelector(".select2-selection");
      if (select && select.tagName === "SELECT" && box && !box.getAttribute("aria-label")) {
        box.setAttribute("aria-label", labelOfSelect(select));
      }
      var rendered = container.querySelector(".select2-selection__rendered[role]");
      if (select && select.tagName === "SELECT" && rendered && !rendered.getAttribute("aria-label")) {
        rendered.setAttribute("aria-label", labelOfSelect(select));
      }
    });
    root.querySelectorAll("[role=listbox]:not([aria-label]):not([aria-labelledby])").forEach(function (list) {
      list.setAttribute("aria-label", words.matches);
    });
    // select2 draws the chosen values as a <ul> holding more than <li>s: not a list for assistive technology.
    root.querySelectorAll("ul.select2-selection__rendered").forEach(function (list) {
      list.setAttribute("role", "none");
      list.querySelectorAll(":scope > li").forEach(function (item) { item.setAttribute("role", "none"); });
    });
    root.querySelectorAll(".fc-icon").forEach(function (icon) { icon.setAttribute("aria-hidden", "true"); });
  }

  // Needs the layout (scrollWidth), so it waits for the widgets to settle.
  function reachScrollingRegions(root) {
    root.querySelectorAll(".table-responsive").forEach(function (region) {
      if (!region.hasAttribute("tabindex")) region.setAttribute("tabindex", "0");
    });
    // On a phone every table is its own scroll box (css/responsive.css): one
    // wider than the screen is reached by keyboard too, even with no link inside.
    root.querySelectorAll("table:not([tabindex])").forEach(function (table) {
      if (table.scrollWidth > table.clientWidth + 1 && getComputedStyle(table).overflowX !== "visible") {
        table.setAttribute("tabindex", "0");
      }
    });
  }

  var pending = false;
  function soon() {
    if (pending) return;
    pending = true;
    setTimeout(function () { pending = false; reachScrollingRegions(document); }, 50);
  }
  // Names are given in the observer's own microtask, before the next task
  // runs: a widget drawn by a script (select2 on jQuery's ready) is never seen
  // nameless, by a screen reader or by axe, even for a moment.
  function named(records) {
    var seen = new Set();
    records.forEach(function (record) {
      // From the parent, so the changed element itself is looked at too.
      var root = record.target.parentElement || document.body;
      if (!seen.has(root)) { seen.add(root); nameFields(root); }
    });
    soon();
  }
  document.addEventListener("DOMContentLoaded", function () {
    nameFields(document);
    reachScrollingRegions(document);
    new MutationObserver(named).observe(document.body, { childList: true, subtree: true });
  });
  window.addEventListener("load", soon);
  window.addEventListener("resize", soon);
})();
