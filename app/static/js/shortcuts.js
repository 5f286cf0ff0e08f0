// Keyboard shortcuts: "/" search, "g p" patients, "g a" appointments,
// "g c" calendar, "n" new record on a list, "?" lists them.  Never while the
// user types in a field, nor with Ctrl/Alt/Meta (the browser's own).
(function () {
  "use strict";
  var script = document.currentScript;
  var targets = {
    p: script.dataset.patientsUrl,
    a: script.dataset.appointmentsUrl,
    c: script.dataset.calendarUrl,
  };
  var pendingG = false;
  var pendingTimer = null;
  var help = document.getElementById("shortcuts-help");

  function typing(element) {
    if (!element) return false;
    var tag = element.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || element.isContentEditable;
  }

  function toggleHelp(show) {
    if (!help) return;
    help.hidden = !show;
    if (show) help.querySelector("[data-close-shortcuts]").focus();
  }

  function newRecordLink() {
    // FAB's list pages offer "Add" as a link to .../add; the first one on the page.
    return document.querySelector('a[href$="/add"], a[href*="/add?"]');
  }

  if (help) {
    help.addEventListener("click", function (event) {
      if (event.target === help || event.target.closest("[data-close-shortcuts]")) toggleHelp(false);
    });
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.altKey || event.metaKey || event.defaultPrevented) return;
    if (event.key === "Escape" && help && !help.hidden) {
      toggleHelp(false);
      return;
    }
    if (typing(event.target)) {
      // Escape leaves the field, so the shortcuts work again (a list's search box has the focus on load).
      if (event.key === "Escape") event.target.blur();
      return;
    }
    var key = event.key;
    if (pendingG) {
      pendingG = false;
      clearTimeout(pendingTimer);
      if (targets[key]) {
        event.preventDefault();
        window.location.assign(targets[key]);
      }
      return;
    }
    if (key === "g") {
      pendingG = true;
      pendingTimer = setTimeout(function () { pendingG = false; }, 1500);
    } else if (key === "/") {
      var search = document.getElementById("global-search");
      if (search) {
        event.preventDefault();
        search.focus();
      }
    } else if (key === "?") {
      event.preventDefault();
      toggleHelp(help && help.hidden);
    } else if (key === "n") {
      var link = newRecordLink();
      if (link) {
        event.preventDefault();
        window.location.assign(link.href);
      }
    }
  });
})();
