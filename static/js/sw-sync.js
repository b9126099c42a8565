// RRP service worker part for the offline outbox, loaded by the service worker with
// importScripts("/static/js/sw-sync.js") BEFORE its own fetch listener.
// 1. Background Sync ("rrp-outbox"): send the outbox even when no RRP page is open.
// 2. Pages kept for opening with no signal, each in a cache of its own (KEPT_PAGES): the capture page
//    (/capture), which holds no pupil data (the pupil list lives in IndexedDB and is cleared at sign-out,
//    together with this cached copy), and the class tablet's check-in station (/station), which holds its
//    group's names only while the tablet is that station (see below, and static/js/outbox.js).
// The same rules as static/js/outbox.js: delete an item only after the server confirms it.
/* global self, caches, indexedDB, fetch, OFFLINE_URL */  // OFFLINE_URL: declared by sw.js before it imports this
(function () {
  "use strict";

  var KEPT_PAGES = { "/capture": "rrp-capture", "/station": "rrp-station" };

  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open("rrp-outbox", 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore("items", { keyPath: "uuid" });
        request.result.createObjectStore("meta", { keyPath: "key" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function run(db, name, mode, work) {
    return new Promise(function (resolve, reject) {
      var transaction = db.transaction(name, mode);
      var result = work(transaction.objectStore(name));
      transaction.oncomplete = function () { resolve(result && result.result); };
      transaction.onerror = function () { reject(transaction.error); };
    });
  }

  function flushOutbox() {
    return openDb().then(function (db) {
      return Promise.all([
        run(db, "items", "readonly", function (s) { return s.getAll(); }),
        run(db, "meta", "readonly", function (s) { return s.get("capture"); }),
        run(db, "meta", "readonly", function (s) { return s.get("csrf"); })
      ]).then(function (found) {
        var capture = found[1] && found[1].value, csrf = found[2] && found[2].value;
        if (!capture || !csrf) return null;  // signed out: wait for the next sign-in
        var batch = found[0].filter(function (i) { return i.staffId === capture.staff_id && i.status === "waiting"; })
          .slice(0, 100);  // the server's most in one batch; the page sends the rest
        if (!batch.length) return null;
        return fetch("/api/v1/sync", {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
          body: JSON.stringify({ sent_at: new Date().toISOString(), items: batch.map(function (i) {
            return { uuid: i.uuid, kind: i.kind, made_at: i.made_at, data: i.data, made_by: i.staffId };
          }) })
        }).then(function (response) {
          if (response.status >= 500) throw new Error("server " + response.status);  // the browser retries later
          if (!response.ok) return null;  // 4xx: leave it for the page to show
          return response.json().then(function (answer) {
            var byUuid = {};
            batch.forEach(function (i) { byUuid[i.uuid] = i; });
            return run(db, "items", "readwrite", function (s) {
              answer.results.forEach(function (r) {
                var item = byUuid[r.uuid];
                if (!item) return;
                if (r.status === "created" || r.status === "duplicate") {
                  s.delete(r.uuid);
                } else if (r.status === "rejected") {  // "deferred": someone else's, left waiting
                  item.status = "rejected";
                  item.reason = r.reason;
                  s.put(item);
                }
              });
            });
          }).then(function () {
            return self.clients.matchAll().then(function (clients) {
              clients.forEach(function (client) { client.postMessage("rrp-outbox-synced"); });
            });
          });
        });
      }).finally(function () { db.close(); });
    });
  }

  self.addEventListener("sync", function (event) {
    if (event.tag === "rrp-outbox") event.waitUntil(flushOutbox());
  });

  // The server's answer is not the page itself but says it is not this device's any more: a redirect (to
  // sign-in: the session ended; the station's tablet left station mode) or 410 Gone (the station has closed).
  // A server in trouble (5xx) says nothing about the page, and what is kept stays.
  function pageGone(response) {
    return response.type === "opaqueredirect" || response.redirected || (response.status >= 300 && response.status < 500);
  }

  self.addEventListener("fetch", function (event) {
    var request = event.request;
    if (request.method !== "GET" || request.mode !== "navigate") return;
    var url = new URL(request.url);
    var path = url.pathname;
    if (url.origin !== self.location.origin || !Object.prototype.hasOwnProperty.call(KEPT_PAGES, path)) return;
    var name = KEPT_PAGES[path];
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok && !response.redirected && !(path === "/station" && url.search)) {
        // (the station's ?thanks=1 thanks one pupil: not kept, or a reload would thank the next)
        var copy = response.clone();
        caches.open(name).then(function (cache) { return cache.put(path, copy); });
      } else if (pageGone(response)) {
        caches.delete(name);
      }
      return response;
    }).catch(function () {
      return caches.open(name).then(function (cache) { return cache.match(path); })
        .then(function (hit) { return hit || caches.match(OFFLINE_URL); })  // the offline page says why
        .then(function (hit) { return hit || Response.error(); });
    }));
  });
})();
