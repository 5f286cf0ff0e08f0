// Live notifications (app/live): one EventSource per open page.  The server
// sends "hello" (the bell's count) and "notify" events (a toast unless quiet;
// the bell follows; a role's home refreshes its lists).  EventSource reconnects by itself after `retry` ms, sending
// Last-Event-ID, so nothing that happened while the page was away is lost.
(function () {
  "use strict";
  if (!window.EventSource) return;
  var script = document.currentScript;
  var toasts = document.getElementById("live-toasts");
  var TOAST_MS = 12000;

  function setBell(count) {
    var link = document.querySelector(".alert-bell a");
    if (!link || typeof count !== "number") return;
    var badge = link.querySelector(".alert-bell-count");
    if (!badge) {
      badge = document.createElement("span");
      badge.className = "badge alert-bell-count";
      link.appendChild(document.createTextNode(" "));
      link.appendChild(badge);
    }
    badge.textContent = String(count);
    badge.hidden = count === 0;
    var label = link.getAttribute("aria-label") || "";
    link.setAttribute("aria-label", label.replace(/^\d+/, String(count)));
    link.setAttribute("title", link.getAttribute("aria-label"));
  }

  function toast(event) {
    if (!toasts) return;
    var box = document.createElement("div");
    box.className = "live-toast severity-" + (event.severity || "info");
    box.dataset.type = event.type;
    var close = document.createElement("button");
    close.type = "button";
    close.setAttribute("aria-label", "×");
    close.textContent = "×";
    close.addEventListener("click", function () { box.remove(); });
    var title = document.createElement("strong");
    var link = document.createElement("a");
    link.href = event.url || "#";
    link.textContent = event.title;
    title.appendChild(link);
    var text = document.createElement("span");
    text.textContent = event.text || "";
    box.appendChild(close);
    box.appendChild(title);
    box.appendChild(text);
    toasts.appendChild(box);
    setTimeout(function () { box.remove(); }, TOAST_MS);
  }

  var source = new EventSource(script.dataset.streamUrl);
  source.addEventListener("hello", function (message) {
    var data = JSON.parse(message.data || "{}");
    if (typeof data.count === "number") setBell(data.count);
    document.documentElement.dataset.live = "connected";
  });
  source.addEventListener("notify", function (message) {
    var event = JSON.parse(message.data);
    if (!event.quiet) toast(event);
    if (typeof event.bell === "number") setBell(event.bell);
    // A role's home (static/js/home.js) redraws its lists: the waiting room follows arrivals and calls.
    if (event.refresh === "home" && window.CareTrailHome) window.CareTrailHome.refresh();
  });
})();
