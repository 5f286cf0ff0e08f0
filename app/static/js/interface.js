// The interface layer (app/interface): the light/dark switch, remembered per
// user, and the service worker of the installable app.
(function () {
  "use strict";
  var script = document.currentScript;
  var root = document.documentElement;

  function currentTheme() {
    if (root.dataset.theme) return root.dataset.theme;
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-theme-toggle]");
    if (!button) return;
    var theme = currentTheme() === "dark" ? "light" : "dark";
    root.dataset.theme = theme;
    fetch(script.dataset.themeUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": csrfToken() },
      body: "theme=" + encodeURIComponent(theme),
    });
  });

  if ("serviceWorker" in navigator && script.dataset.swUrl) {
    navigator.serviceWorker.register(script.dataset.swUrl, { scope: "/" }).catch(function () {});
  }
})();
