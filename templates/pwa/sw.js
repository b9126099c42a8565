// RRP service worker: precache the shell, fall back to the offline page for navigations.
// Pages (which may show pupil data) are never cached here; only the shell's static files are. Two pages are
// kept by sw-sync.js for no signal: Record offline, and the check-in station on its tablet while it is one.
const CACHE = "rrp-shell-{{ version }}";
// Static URLs carry their file's hash (?v=...), so a new release's pages never get old files.
const SHELL = {{ shell|tojson }};
const SHELL_PATHS = SHELL.map((url) => new URL(url, self.location.origin).pathname);
const OFFLINE_URL = {{ offline_url|tojson }};
// A pupil's circle pages (joining, their seat) have no staff sign-in: with no signal they get an offline page
// of their own, in a child's words, with no staff words or links.
const PUPIL_OFFLINE_URL = {{ pupil_offline_url|tojson }};
const PUPIL_PAGES = {{ pupil_pages|list|tojson }}.map((pattern) => new RegExp(pattern));

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
  if (request.mode === "navigate" && PUPIL_PAGES.some((pattern) => pattern.test(url.pathname))) {
    event.respondWith(fetch(request).catch(() => caches.match(PUPIL_OFFLINE_URL)));
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE_URL)));
    return;
  }
  if (SHELL.includes(url.pathname + url.search)) {
    // This release's file, by the URL this release's pages ask for (the file's hash is in it).
    event.respondWith(caches.open(CACHE).then((cache) => cache.match(url.href)).then((hit) => hit || fetch(request)));
  } else if (SHELL_PATHS.includes(url.pathname)) {
    // Another release's version of a shell file: a page newer than this worker (just after a deploy)
    // or one kept from before it (Record offline). The network has the very file asked for; with no
    // signal, this release's copy is the nearest there is.
    event.respondWith(fetch(request).catch(() =>
      caches.open(CACHE).then((cache) => cache.match(url.pathname, { ignoreSearch: true }))
        .then((hit) => hit || Response.error())));
  }
});
