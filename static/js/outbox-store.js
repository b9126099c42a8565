// Where an offline outbox keeps what waits on this device (IndexedDB), and a fetch that gives up in
// time: shared by the staff outbox (static/js/outbox.js) and the check-in station's (static/js/checkins.js),
// each with a database of its own. No inline script (strict CSP).
(function () {
  "use strict";

  // A database of "items" (the outbox, by uuid) and "meta" (anything else, by key).
  function outboxStore(dbName) {
    function openDb() {
      return new Promise(function (resolve, reject) {
        var request = indexedDB.open(dbName, 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore("items", { keyPath: "uuid" });
          request.result.createObjectStore("meta", { keyPath: "key" });
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }

    function store(name, mode, work) {
      return openDb().then(function (db) {
        return new Promise(function (resolve, reject) {
          var transaction = db.transaction(name, mode);
          var result = work(transaction.objectStore(name));
          transaction.oncomplete = function () { db.close(); resolve(result && result.result); };
          transaction.onerror = function () { db.close(); reject(transaction.error); };
        });
      });
    }

    return {
      items: {
        all: function () { return store("items", "readonly", function (s) { return s.getAll(); }); },
        put: function (item) { return store("items", "readwrite", function (s) { s.put(item); }); },
        remove: function (uuid) { return store("items", "readwrite", function (s) { s.delete(uuid); }); }
      },
      meta: {
        get: function (key) {
          return store("meta", "readonly", function (s) { return s.get(key); }).then(function (row) { return row && row.value; });
        },
        set: function (key, value) { return store("meta", "readwrite", function (s) { s.put({ key: key, value: value }); }); },
        remove: function (key) { return store("meta", "readwrite", function (s) { s.delete(key); }); }
      }
    };
  }

  // Poor Wi-Fi often stalls rather than fails: a request with no answer within ms is given up.
  function fetchWithin(ms, url, options) {
    if (!window.AbortController) return fetch(url, options);
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, ms);
    options.signal = controller.signal;
    // the body is read before the timer stops: an answer that stalls halfway is given up too
    return fetch(url, options).then(function (response) {
      return response.text().then(function (text) {
        clearTimeout(timer);
        return { ok: response.ok, status: response.status, type: response.type, json: function () {
          return new Promise(function (resolve) { resolve(JSON.parse(text)); });
        } };
      });
    }, function (error) {
      clearTimeout(timer);
      throw error;
    });
  }

  // The page's CSRF token (on <body>, for htmx), sent with a batch.
  function pageCsrf() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || null;
    } catch (error) {
      return null;
    }
  }

  // How long to wait before trying again after ``failures`` failed sends in a row: doubling, at most a
  // minute, jittered so that a classroom of devices coming back online do not all send at once.
  var MAX_DELAY = 60000;
  function retryDelay(failures) {
    return Math.min(MAX_DELAY, 1000 * Math.pow(2, failures)) * (0.5 + Math.random() / 2);
  }

  window.rrpOutbox = { store: outboxStore, fetchWithin: fetchWithin, pageCsrf: pageCsrf, retryDelay: retryDelay };
})();
