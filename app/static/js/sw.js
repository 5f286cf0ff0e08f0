// CareTrail's service worker: the app shell and static files, and an offline
// page.  No patient data is ever stored on the device: every HTML page and
// every /api/ answer goes to the network only (never cached); when the
// network is down, a page request gets the offline page instead.
"use strict";
// Named after the static files' version, which the page registers this
// worker with (/sw.js?v=...): a release that changes any of them installs a
// new worker, and its activation deletes the previous cache.
var CACHE = "caretrail-shell-" + (new URL(self.location.href).searchParams.get("v") || "unversioned");
var OFFLINE_URL = "/offline";
var SHELL = [
  OFFLINE_URL,
  "/static/css/theme.css",
  "/static/css/responsive.css",
  "/static/js/interface.js",
  "/static/js/shortcuts.js",
  "/static/js/a11y.js",
  "/static/icons/icon-192.png",
  "/static/icons/icon-512.png",
  "/static/appbuilder/css/bootstrap.min.css",
  "/static/appbuilder/css/ab.css",
  "/static/appbuilder/js/jquery-latest.js",
  "/static/appbuilder/js/bootstrap.min.js",
];

function isStatic(url) {
  return url.origin === self.location.origin && url.pathname.indexOf("/static/") === 0;
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(SHELL); }));
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) { return name !== CACHE; }).map(function (name) {
        return caches.delete(name);
      }));
    }).then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (isStatic(url)) {
    // Static files: from the cache, else the network (and kept for next time).
    event.respondWith(caches.match(request).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        if (response.ok) {
          var copy = response.clone();
          caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
        }
        return response;
      });
    }));
    return;
  }
  if (request.mode === "navigate") {
    // Pages: network only; the offline page when there is no network.
    event.respondWith(fetch(request).catch(function () { return caches.match(OFFLINE_URL); }));
  }
  // Everything else (/api/, /live/stream, downloads): the browser's own way, never cached here.
});
