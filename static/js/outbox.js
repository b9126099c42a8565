// RRP offline outbox: records made with no signal wait in IndexedDB and are sent when possible.
// Each record gets a crypto.randomUUID() when it is made; the server stores a UUID once, so a
// record sent twice (lost answer, retry, Background Sync and page at once) is still one record.
// An item leaves this device only after the server answers "created" or "duplicate"; a
// "rejected" item stays, with the reason beside it, until the user sends it again or discards it.
// No inline script (strict CSP): this file finds its page by data attributes.
(function () {
  "use strict";

  var DB_NAME = "rrp-outbox";
  var CAPTURE_CACHE = "rrp-capture";
  var page = document.querySelector("[data-outbox-page]");
  var captureUrl = (page && page.getAttribute("data-capture-url")) || "/api/v1/capture";
  var capturePage = "/capture";  // Record offline, where what waits is listed (static/js/sw-sync.js: CAPTURE_PATH)
  var syncUrl = (page && page.getAttribute("data-sync-url")) || "/api/v1/sync";
  var CACHED_FLAG = "rrp-capture-cached";  // set while this device holds a pupil list
  // The pupils last recorded about on this device (ids only: names come from the pupil list), offered
  // first in a search left empty; one signed-in person's, in one school, forgotten with the pupil list.
  var RECENT = "rrp-recent";
  // A record started and not saved (the phone locked, the tab closed, Home tapped), as its form holds it:
  // pupil ids, chips, what was typed. Kept the same way, and forgotten once the record is saved.
  var DRAFT = "rrp-draft";
  var MAX_BATCH = 100;  // the most items the server takes in one batch (rrp_pwa/sync/ingest.py)
  // Poor Wi-Fi often stalls rather than fails: a request with no answer by then is given up, so the
  // stored pupil list is used and the outbox is tried again, instead of waiting for ever.
  var LIST_WAIT = 8000, SEND_WAIT = 15000;  // SEND_WAIT: as htmx's timeout (base.html)
  // Sign out is waited for by a person about to hand the phone on: a working connection, even a slow
  // one, answers a small post well within this; the same wait as Save on Log a chat (chat_new.html).
  var SIGN_OUT_WAIT = 8000;
  var LIST_HOURS = 12;  // a stored pupil list older than this is forgotten, signal or not: a school day
  var LIST_EXPIRED = "Your pupil list was more than " + LIST_HOURS + " hours old, so it has been removed from this " +
                     "device. Connect once to load it again.";
  // Who the server says is signed in (every staff page carries it); the sign-in page says nobody is.
  var pageStaff = document.body.hasAttribute("data-staff-id") ? Number(document.body.getAttribute("data-staff-id")) : null;
  var signedOut = document.body.hasAttribute("data-signed-out");
  // Every tab and window on a device shares one sign-in, so a sign-out in one ends it in all: each sign-out
  // leaves a new mark in localStorage, and a signed-in page that finds a mark other than the one it opened
  // with belongs to a sign-in that has ended. It writes nothing more on the device and clears its screen.
  var SIGNED_OUT = "rrp-signed-out";
  var signInMark = pageStaff !== null ? signOutMark() : null;
  var signInEnded = false;
  // Home of someone who records offline: get Record offline ready while there is signal.
  var prefetch = document.querySelector("[data-capture-prefetch]");
  var state = { sending: false, failures: 0, timer: null, staffId: null, csrf: null, items: [], ready: false,
                signedOut: false, pupils: [] };

  // IndexedDB: "items" (the outbox, by uuid) and "meta" (the cached pupil list, the CSRF token).
  var storage = window.rrpOutbox.store(DB_NAME), outbox = storage.items, meta = storage.meta;
  var fetchWithin = window.rrpOutbox.fetchWithin;
  // Record offline's and Log a chat's forms (static/js/capture.js, loaded before this file on those pages only):
  // they are given what they share with the outbox, and answer with how the outbox tells them of a pupil list
  // loaded or expired, of what waits (to list it) and of Record offline opening (to show its drafts).
  var forms = window.rrpOutbox.forms ? window.rrpOutbox.forms({
    state: state, outbox: outbox, page: page, pageStaff: pageStaff, capturePage: capturePage, signInMark: signInMark,
    keys: { recent: RECENT, draft: DRAFT }, mine: mine, setText: setText, reload: reload, send: send,
    refreshCapture: refreshCapture, endedHere: endedHere
  }) : null;

  function mine(item) { return state.staffId !== null && item.staffId === state.staffId; }

  // The header badge: "N waiting to sync", on this page and on any page that loads this file.
  // Other pages get a badge only while something is waiting, as a link to Record offline, where
  // each item is listed (a refused one beside its reason, to change or discard).
  function badges(anyWaiting) {
    var found = Array.prototype.slice.call(document.querySelectorAll("[data-outbox-count]"));
    if (!page && anyWaiting) {
      var topbar = document.querySelector(".topbar");
      var badge = document.querySelector(".outbox-badge");
      if (topbar && !badge) {
        badge = document.createElement("p");
        badge.className = "outbox-badge";
        badge.setAttribute("role", "status");
        var link = document.createElement("a");
        link.href = capturePage;
        link.setAttribute("data-outbox-count", "");
        badge.appendChild(link);
        topbar.appendChild(badge);
        found.push(link);
      }
    }
    return found;
  }

  // "2 waiting to sync", and how many of them the server refused: those do not send by themselves.
  function countText(waiting) {
    var refused = waiting.filter(function (item) { return item.status === "rejected"; }).length;
    return waiting.length + " waiting to sync" + (refused ? " (" + refused + " not accepted: needs you)" : "");
  }

  function setText(selector, text) {
    var node = document.querySelector(selector);
    if (node) node.textContent = text;
  }

  function render() {
    var waiting = state.items.filter(mine);
    badges(waiting.length > 0).forEach(function (node) {
      // Until this device's outbox and its owner are known, a count would be a guess ("0" when 3 wait).
      node.textContent = state.ready ? countText(waiting) : "Checking this device…";
      (node.closest(".outbox-badge") || node).hidden = !page && waiting.length === 0;
    });
    setText("[data-connection]", navigator.onLine ? "Online" : "Offline: saving on this device");
    if (forms) forms.drawList(waiting);
  }

  function reload() {
    return outbox.all().then(function (items) {
      state.items = items.sort(function (a, b) { return a.made_at < b.made_at ? -1 : 1; });
      render();
      return state.items;
    });
  }

  // Pupils, chips and the scale: fetched online, kept in IndexedDB for offline picking.
  function refreshCapture() {
    if (endedHere()) return Promise.resolve(null);
    return fetchWithin(LIST_WAIT, captureUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        state.signedOut = response.status === 401;  // the session ended: what is waiting needs a sign-in
        if (!response.ok) throw new Error("status " + response.status);
        return response.json();
      })
      .then(function (data) {
        if (endedHere()) throw new Error("signed out meanwhile");  // not kept for a sign-in that has ended
        state.csrf = data.csrf_token;
        delete data.csrf_token;
        data.saved_at = Date.now();
        try { window.localStorage.setItem(CACHED_FLAG, "1"); } catch (e) { /* private mode: no flag */ }
        return meta.set("capture", data).then(function () { return meta.set("csrf", state.csrf); })
          .then(function () { return data; });
      })
      .catch(function () { return meta.get("capture").then(ownersCopy); })
      .then(function (data) {
        if (signInEnded) return null;
        if (data) {
          state.staffId = data.staff_id;
          if (forms) forms.pupilsLoaded(data);
        } else {
          setText("[data-pupils-message]", state.listExpired ? LIST_EXPIRED
            : "Connect once to load your pupils; after that this page works offline.");
        }
        return data;
      });
  }

  // A page htmx brought in (Log a chat saved) has a new header: put the badge back in it.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.elt === document.body) render();
  });

  // Sending: this person's waiting items, at most MAX_BATCH at a time; per-item answers decide what stays.
  function send(isRetryAfterNewToken) {
    if (state.sending || state.staffId === null || endedHere()) return Promise.resolve();
    var batch = state.items.filter(function (item) { return mine(item) && item.status === "waiting"; });
    if (!batch.length || !navigator.onLine) {
      render();
      return Promise.resolve();
    }
    var settled = false;
    batch = batch.slice(0, MAX_BATCH);
    var inBatch = batch.map(function (item) { return item.uuid; });
    state.sending = true;
    clearTimeout(state.timer);
    // sent_at: this device's clock now, so the server can correct made_at if the clock is wrong.
    var body = JSON.stringify({ sent_at: new Date().toISOString(), items: batch.map(function (item) {
      return { uuid: item.uuid, kind: item.kind, made_at: item.made_at, data: item.data, made_by: item.staffId };
    }) });
    return fetchWithin(SEND_WAIT, syncUrl, {
      method: "POST", credentials: "same-origin", body: body,
      headers: { "Content-Type": "application/json", Accept: "application/json",
                 "X-CSRFToken": state.csrf || window.rrpOutbox.pageCsrf() || "" }
    }).then(function (response) {
      if (response.ok) return response.json().then(settle).then(function () { settled = true; });
      if (response.status === 400 && !isRetryAfterNewToken) {
        state.sending = false;  // most likely an expired CSRF token: fetch a fresh one, try once more
        return refreshCapture().then(function () { return send(true); });
      }
      if (response.status >= 400 && response.status < 500) {
        setText("[data-outbox-message]", response.status === 401 || state.signedOut
          ? "Sign in again to send what is waiting. It stays on this device until then."
          : "The school's system did not take what is waiting. It stays on this device: try Sync now, or ask your admin.");
        return null;
      }
      throw new Error("status " + response.status);
    }).catch(function () {
      state.failures += 1;
      state.timer = setTimeout(send, window.rrpOutbox.retryDelay(state.failures));
      setText("[data-outbox-message]", "Couldn't reach the school's system. Trying again shortly.");
    }).then(function () {
      state.sending = false;
      // the next batch, and what was saved while this one was on its way (else it waited for Sync now)
      return reload().then(function () {
        return settled && state.items.some(function (item) {
          return mine(item) && item.status === "waiting" && inBatch.indexOf(item.uuid) < 0;
        }) ? send() : null;
      });
    });
  }

  function settle(answer) {
    state.failures = 0;
    var byUuid = {};
    state.items.forEach(function (item) { byUuid[item.uuid] = item; });
    var work = answer.results.map(function (result) {
      var item = byUuid[result.uuid];
      if (!item) return null;
      if (result.status === "created" || result.status === "duplicate") return outbox.remove(item.uuid);
      if (result.status === "deferred") return null;  // someone else's: it waits for them to sign in here
      item.status = "rejected";
      item.reason = result.reason;
      return outbox.put(item);
    });
    return Promise.all(work).then(function () {
      var left = answer.results.filter(function (r) { return r.status === "rejected"; }).length;
      var held = answer.results.filter(function (r) { return r.status === "deferred"; }).length;
      var gone = answer.results.filter(function (r) { return r.status === "created" || r.status === "duplicate"; })
        .map(function (r) { return r.uuid; });
      // saved while this batch was on its way, or refused before: not "Everything has been sent"
      var rest = state.items.filter(function (item) { return mine(item) && gone.indexOf(item.uuid) < 0; });
      var refused = rest.filter(function (item) { return item.status === "rejected"; }).length;
      setText("[data-outbox-message]", left ? left + " not accepted: see the reason beside each."
        : held ? "Someone else is signed in on this device now: sign in again to send what you made."
        : rest.length > refused ? "Sending…"
        : refused ? refused + " not accepted: see the reason beside each."
        : "Everything has been sent.");
    });
  }

  // Signing out: ask first if anything is unsent; forget the pupil list either way.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("[data-signed-out]")) return;  // the header's Sign out
    // Sent here, not by the browser: with no signal, or Wi-Fi that never answers, the browser's own
    // error page would stand in front of a session still running, for the next person to pick up.
    // The pupil list goes either way; what waits to be sent stays.
    event.preventDefault();
    var notSignedOut = function (why) {
      document.dispatchEvent(new CustomEvent("rrp:tell", { detail: { cause: event,
        text: "Not signed out: " + why + ". You are still signed in on this device - sign out again when you have signal." } }));
    };
    var button = event.submitter;
    // what waits is counted afresh: a record saved in another tab since this page opened is asked about too
    reload().catch(function () { return null; }).then(function () {
      var unsent = state.items.filter(mine).length;
      if (navigator.onLine && unsent && !window.confirm(unsent + " record" + (unsent === 1 ? " has" : "s have") +
          " not been sent yet. Sign out anyway? They stay on this device and send when you next sign in.")) return null;
      return forgetPupils().then(function () {
        if (!navigator.onLine) return notSignedOut("there is no signal");
        if (button) { button.classList.add("busy"); button.setAttribute("aria-busy", "true"); }
        return fetchWithin(SIGN_OUT_WAIT, form.action, { method: "POST", body: new FormData(form), credentials: "same-origin",
                                                         redirect: "manual" }).then(function (response) {
          // the answer is a redirect to the sign-in page, which is opened now; other tabs are told at once, and
          // a draft one of them wrote while this was on its way goes as well
          if (response.type === "opaqueredirect" || response.ok) {
            markSignedOut();
            forgetOnDevice();
            location.replace(form.getAttribute("data-signed-out"));
          } else if (response.status >= 500) notSignedOut("the school's system did not answer");
          else form.submit();  // refused (an old page's token): the browser shows the school's own answer
        }, function () {
          notSignedOut("no answer, the connection is too slow");
        }).then(function () {
          if (button) { button.classList.remove("busy"); button.removeAttribute("aria-busy"); }
        });
      });
    });
  });

  // The pupil list, the token and the cached capture page belong to one signed-in person: they go
  // at sign-out, on the sign-in page (a session that ended by itself) and when someone else signs in.
  // Waiting records stay: they are sent when the person who made them next signs in.
  function forgetPupils() {
    var forget = [meta.remove("capture"), meta.remove("csrf")];
    if (window.caches) forget.push(caches.delete(CAPTURE_CACHE));
    return Promise.all(forget).catch(function () { return null; }).then(forgetOnDevice);
  }

  function forgetOnDevice() {
    try {
      window.localStorage.removeItem(CACHED_FLAG);
      window.localStorage.removeItem(RECENT);
      window.localStorage.removeItem(DRAFT);
    } catch (e) { /* nothing to forget */ }
  }

  function signOutMark() {
    try { return window.localStorage.getItem(SIGNED_OUT) || ""; } catch (e) { return ""; }
  }

  // A sign-out on this device (Sign out answered, or the sign-in page shown: nobody is signed in).
  function markSignedOut() {
    signInEnded = true;
    try {
      window.localStorage.setItem(SIGNED_OUT, Date.now() + "-" + Math.random().toString(36).slice(2));
    } catch (e) { /* private mode: nothing is kept to guard */ }
  }

  // Whether this page's sign-in has ended, here or in another tab or window on this device.
  function endedHere() {
    if (!signInEnded && signInMark !== null && signOutMark() !== signInMark) signedOutElsewhere();
    return signInEnded;
  }

  // Signed out in another tab: this one stops writing and sending, forgets what it wrote in this sign-in, and
  // shows that it is signed out in place of the page (templates/base.html), so neither the pupils on it nor
  // what was typed is left for the next person on the device. Records saved before then stay in the outbox.
  function signedOutElsewhere() {
    signInEnded = true;
    clearTimeout(state.timer);
    state.staffId = null;
    state.pupils = [];
    state.items = [];
    [DRAFT, RECENT].forEach(function (key) {
      try {
        var kept = JSON.parse(window.localStorage.getItem(key));
        if (kept && kept.signIn === signInMark) window.localStorage.removeItem(key);
      } catch (e) { /* nothing kept */ }
    });
    var notice = document.getElementById("signed-out-elsewhere"), main = document.getElementById("main");
    if (!notice || !main) return;
    main.textContent = "";
    main.appendChild(notice.content.cloneNode(true));
    document.querySelectorAll(".topbar nav, .outbox-badge").forEach(function (node) { node.remove(); });
    var heading = main.querySelector("h1");
    document.title = heading.textContent + " · RRP";
    heading.focus();
  }

  window.addEventListener("storage", function (event) {
    if (event.key === SIGNED_OUT || event.key === null) endedHere();
  });

  // The stored pupil list if it is the signed-in person's own (or nobody is known: offline, the cached
  // capture page) and less than LIST_HOURS old; another person's, or an older one, is forgotten, so a
  // phone left in a drawer with no signal does not keep a class list.
  function ownersCopy(data) {
    var stale = data && !(Date.now() - (data.saved_at || 0) < LIST_HOURS * 3600 * 1000);
    if (stale) state.listExpired = true;
    if (!data || (!stale && (pageStaff === null || data.staff_id === pageStaff))) return data || null;
    return forgetPupils().then(function () { return null; });
  }

  // Record offline left open (a phone in a drawer, its screen off) holds the list on screen as well:
  // when the page is shown again, and every few minutes, a list past LIST_HOURS leaves the page too.
  function expireShownList() {
    if (!page) return Promise.resolve();
    return meta.get("capture").then(ownersCopy).then(function (data) {
      if (data || !state.listExpired) return;
      forms.pupilsExpired();
      setText("[data-pupils-message]", LIST_EXPIRED);
    }).catch(function () { return null; });
  }
  if (page) setInterval(expireShownList, 5 * 60 * 1000);

  window.addEventListener("online", function () { state.failures = 0; render(); send(); });
  window.addEventListener("offline", render);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && !endedHere()) expireShownList().then(reload).then(function () { return send(); });
  });
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data === "rrp-outbox-synced") {
        reload().then(function () {
          if (!state.items.filter(mine).length) setText("[data-outbox-message]", "Everything has been sent.");
        });
      }
    });
  }

  // Only the capture page downloads the pupil list; other pages know who is signed in from the page
  // itself, so an ordinary page view costs no extra request, and records wait for their own maker.
  function knownCapture() {
    if (signedOut) {
      markSignedOut();
      return forgetPupils().then(function () { return null; });
    }
    return meta.get("capture").then(ownersCopy).then(function (data) {
      state.staffId = pageStaff !== null ? pageStaff : (data ? data.staff_id : null);
      return data;
    }).catch(function () { state.staffId = pageStaff; return null; });
  }

  // Record offline ready for the playground, fetched while there is signal: the pupil list and the
  // capture page itself, so that it opens with no signal even if it was never opened before. Each is
  // fetched until it is there: a page fetch cut short (the next page opened at once, a blip) is tried
  // again on the next home visit, even though the list came. Only the page itself is kept - not the
  // sign-in page a session that ended redirects to (as the service worker keeps it: sw-sync.js).
  function prepareOffline(data) {
    if (!prefetch || !navigator.onLine || pageStaff === null || endedHere()) return data;
    var url = prefetch.getAttribute("data-capture-prefetch");
    var pageCached = window.caches ? caches.open(CAPTURE_CACHE).then(function (cache) {
      return cache.match(url).then(function (hit) {
        if (hit && data) return hit;  // fetched again with the list, so a new release's page replaces it
        // given up, as the list is, on Wi-Fi that stalls: Home's outbox does not wait on it for ever
        var controller = window.AbortController ? new AbortController() : null;
        var timer = controller && setTimeout(function () { controller.abort(); }, LIST_WAIT);
        return fetch(url, { credentials: "same-origin", signal: controller && controller.signal }).then(function (response) {
          if (response.ok && !response.redirected) return cache.put(url, response);
        }).finally(function () { clearTimeout(timer); });
      });
    }).catch(function () { return null; }) : null;
    return Promise.all([data || refreshCapture(), pageCached]).then(function (done) { return done[0]; });
  }

  // The check-in station's page, kept on the class tablet for no signal (static/js/sw-sync.js), holds its group's
  // names: any other page that loads this file (a teacher signed in after leaving station mode, a sign-in page, the
  // mediators' tablet) means this device is no longer that station, and the copy goes.
  function forgetStation() {
    if (window.caches && !document.body.classList.contains("station-mode")) {
      caches.delete("rrp-station").catch(function () { return null; });
    }
  }

  function start() {
    forgetStation();
    state.csrf = window.rrpOutbox.pageCsrf();
    Promise.all([reload(), page ? refreshCapture() : knownCapture().then(prepareOffline)]).then(function () {
      if (page) forms.showDrafts();
      state.ready = true;
      render();
      return send();
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
