// RRP service worker: precache the shell, fall back to the offline page for navigations.
// Pages (which may show pupil data) are never cached; only the shell's static files are.
const CACHE = "rrp-shell-{{ version }}";
const SHELL = {{ shell|tojson }};
const OFFLINE_URL = {{ offline_url|tojson }};

// The offline outbox's part (Background Sync, the offline capture page) answers first.
importScripts({{ url_for("static", filename="js/sw-sync.js")|tojson }});

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("rrp-shell-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE_URL)));
    return;
  }
  if (SHELL.includes(url.pathname)) {
    event.respondWith(caches.match(url.pathname).then((hit) => hit || fetch(request)));
  }
});
