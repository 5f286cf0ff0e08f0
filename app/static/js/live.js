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

  // The bell of those who read no alerts: the notifications received, counted
  // per tab (the count only: no patient data is kept on the device), listed
  // for this page; opening it clears the count.
  var bell = document.querySelector(".live-bell");
  var UNREAD_KEY = "caretrail-live-unread";
  var received = [];

  function unread() { return parseInt(window.sessionStorage.getItem(UNREAD_KEY) || "0", 10) || 0; }

  function showUnread(count) {
    if (!bell) return;
    var badge = bell.querySelector(".live-bell-count");
    badge.textContent = String(count);
    badge.hidden = count === 0;
  }

  function remember(event) {
    if (!bell) return;
    window.sessionStorage.setItem(UNREAD_KEY, String(unread() + 1));
    showUnread(unread());
    received.unshift(event);
  }

  if (bell) {
    showUnread(unread());
    var button = bell.querySelector(".live-bell-button");
    var list = bell.querySelector(".live-bell-list");
    button.addEventListener("click", function () {
      var open = list.hidden;
      list.hidden = !open;
      button.setAttribute("aria-expanded", String(open));
      if (!open) return;
      received.forEach(function (event) {
        if (event.shown) return;
        event.shown = true;
        var link = document.createElement("a");
        link.href = event.url || "#";
        link.textContent = event.title + (event.text ? " · " + event.text : "");
        list.insertBefore(link, list.firstChild);
      });
      window.sessionStorage.setItem(UNREAD_KEY, "0");
      showUnread(0);
    });
  }

  var connections = 0;
  var source = new EventSource(script.dataset.streamUrl);
  source.addEventListener("error", function () {
    // The server ended the stream (or went away): EventSource connects again by itself.
    document.documentElement.dataset.live = "reconnecting";
  });
  source.addEventListener("hello", function (message) {
    var data = JSON.parse(message.data || "{}");
    if (typeof data.count === "number") setBell(data.count);
    document.documentElement.dataset.live = "connected";
    connections += 1;
    document.documentElement.dataset.liveConnections = String(connections);
  });
  source.addEventListener("notify", function (message) {
    var event = JSON.parse(message.data);
    if (!event.quiet) toast(event);
    if (typeof event.bell === "number") setBell(event.bell);
    else if (!event.quiet) remember(event);
    // A role's home (static/js/home.js) redraws its lists: the waiting room follows arrivals and calls.
    if (event.refresh === "home" && window.CareTrailHome) window.CareTrailHome.refresh();
  });
})();
