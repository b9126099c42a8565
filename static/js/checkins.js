// Check-ins: the station's screen flow and the staff's live list. No inline script (strict CSP).
(function () {
  "use strict";

  var resetTimer = null;

  // The names, from the copy kept in the page (<template id="station-start">): going back to them
  // asks the server for nothing, so with no signal the check-in screen still goes, and the next
  // pupil never finds the last one's name and word. ``thanks``: the words thanking the pupil.
  function showStart(thanks) {
    var panel = document.getElementById("station-panel");
    var start = document.getElementById("station-start");
    if (!panel || !start) return false;
    panel.textContent = "";
    panel.appendChild(start.content.cloneNode(true));
    if (thanks) {
      var said = document.createElement("p");
      said.className = "station-thanks";
      said.setAttribute("role", "status");
      said.textContent = thanks;
      panel.insertBefore(said, panel.firstChild);
    }
    if (window.htmx) window.htmx.process(panel);
    var heading = panel.querySelector(".station-heading");
    if (heading) heading.focus();
    return true;
  }

  // A pupil's check-in screen, from the blank one kept in the page (<template id="station-pick">), for the
  // name tapped when the server cannot be asked for it: the same scale and word field for everyone.
  function showPick(name) {
    var panel = document.getElementById("station-panel");
    var blank = document.getElementById("station-pick");
    if (!panel || !blank) return false;
    panel.textContent = "";
    panel.appendChild(blank.content.cloneNode(true));
    var heading = panel.querySelector(".station-heading");
    heading.textContent = name.textContent.trim();
    panel.querySelector("input[name=pupil_id]").value = name.getAttribute("data-pupil-id");
    panel.querySelector("input[name=client_uuid]").value = newUuid();
    panel.querySelector("[data-station-start]").textContent = "Not " + name.getAttribute("data-first-name") + "? Back to the names";
    if (window.htmx) window.htmx.process(panel);
    heading.focus();
    armReset();
    return true;
  }

  // A check-in screen left alone goes back to the names, so the next pupil never finds it.
  function armReset() {
    window.clearTimeout(resetTimer);
    var form = document.querySelector("form[data-reset-after]");
    if (!form) return;
    resetTimer = window.setTimeout(function () {
      if (document.body.contains(form)) showStart();
    }, parseInt(form.getAttribute("data-reset-after"), 10) * 1000);
  }

  function inCheckIn(element) {
    return !!(element && element.closest && element.closest("form[data-reset-after]"));
  }

  document.addEventListener("input", function (event) {
    if (inCheckIn(event.target)) armReset();
  });

  // A tap that could not be sent (no signal) leaves the pupil a full minute to try again.
  document.addEventListener("htmx:afterRequest", function (event) {
    if (inCheckIn(event.detail.elt)) armReset();
  });

  document.addEventListener("click", function (event) {
    var back = event.target.closest && event.target.closest("a[data-station-start]");
    if (back && showStart()) event.preventDefault();
  });

  // Check-ins kept on the tablet with no signal (DESIGN.md, "Offline outbox"): made in the page, kept in
  // the station's own outbox on this device under a crypto.randomUUID(), counted on the screen (never
  // named there), and sent when the signal is back. One leaves the tablet only once the server has it.
  // One the server refuses (a pupil no longer in the group) is not sent again: the teacher reads it
  // after leaving station mode (their station page lists it) and discards it. Staff signed in on the
  // tablet read and discard only those of the stations they may end (the server says which); anyone
  // else sees just how many wait for another class's teacher.
  var KEPT_THANKS = "Thank you! Your check-in will go to your teacher when the tablet is back online.";
  var SEND_WAIT = 15000, MAX_BATCH = 100;  // as the staff outbox (static/js/outbox.js)
  var keptDb = window.rrpOutbox ? window.rrpOutbox.store("rrp-station") : null;
  var kept = { items: [], sending: false, failures: 0, timer: null, note: "", readable: null, asked: "", timeOver: false };

  function newUuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function keptBox() { return document.querySelector("[data-station-kept]"); }

  // A station's own (the tablet, its staff page); every station's on Check-ins, which has no station.
  function thisStation() {
    var box = keptBox(), id = box && box.hasAttribute("data-station-id") && Number(box.getAttribute("data-station-id"));
    return kept.items.filter(function (item) { return !id || item.station_id === id; });
  }

  // Staff pages: the ids of the stations whose kept check-ins this person may read, asked of the server
  // for the stations the tablet holds some for (again only when those change); none if it cannot answer.
  function askReadable() {
    var box = keptBox(), url = box && box.getAttribute("data-readable-url");
    var ids = thisStation().map(function (item) { return item.station_id; })
      .filter(function (id, at, all) { return all.indexOf(id) === at; }).sort();
    var query = ids.map(function (id) { return "station=" + encodeURIComponent(id); }).join("&");
    if (!url || (kept.readable !== null && query === kept.asked)) return Promise.resolve();
    if (!ids.length) {
      kept.readable = [];
      kept.asked = "";
      return Promise.resolve();
    }
    return window.rrpOutbox.fetchWithin(SEND_WAIT, url + "?" + query, {
      credentials: "same-origin", headers: { Accept: "application/json" }
    }).then(function (response) {
      if (!response.ok) throw new Error("status " + response.status);
      return response.json();
    }).then(function (answer) {
      kept.readable = answer.stations;
      kept.asked = query;
    }, function () {
      kept.readable = [];
      kept.asked = "";
    });
  }

  // The ones the person before the tablet may read: all on the tablet itself (it names none), and on a
  // staff page those of the stations they may end.
  function readable(box, items) {
    if (!box.hasAttribute("data-for-staff")) return items;
    return items.filter(function (item) { return (kept.readable || []).indexOf(item.station_id) !== -1; });
  }

  // When the station closes by its time limit, counted down from the page's opening, so that a tablet whose
  // clock is wrong still knows; with no signal it then says it is closed instead of keeping check-ins.
  // Likewise when the tablet may no longer send what it kept (a day after the close: checkins/kept.py):
  // from then on only a teacher signed in on it sends them, and it says so, with or without signal.
  var closesAt = null, sendsUntil = null;
  function noteClosing() {
    var box = keptBox(), openedAt = box && box.hasAttribute("data-sends-left") ? firstOpened(box) : Date.now();
    if (box && box.hasAttribute("data-seconds-left")) {
      closesAt = openedAt + Number(box.getAttribute("data-seconds-left")) * 1000;
    }
    if (box && box.hasAttribute("data-sends-left")) {
      var left = openedAt + Number(box.getAttribute("data-sends-left")) * 1000 - Date.now();
      sendsUntil = Date.now() + left;
      if (left > 0 && left < 0x7fffffff) setTimeout(drawKept, left + 1000);
    }
    // the tablet's copy of the page opened with no signal after the station's time limit
    if (closesAt !== null && Date.now() >= closesAt && document.getElementById("station-over")) showOver();
  }

  // When this copy of a station page came from the server, by the tablet's clock. The service worker keeps the
  // station's page for a tablet with no signal (static/js/sw-sync.js): opened again from there, its count of the
  // time left runs from when it was sent, not from the reload, or every reload would give the station its whole
  // time again. A copy is known by its station and times left, which no two copies sent a second apart share;
  // the last few the tablet opened are remembered (the kept one may be older than the leave screen opened since).
  var OPENED = "rrp-station-opened", OPENED_KEPT = 8;
  function firstOpened(box) {
    var copy = ["data-station-id", "data-seconds-left", "data-sends-left"].map(function (name) {
      return box.getAttribute(name);
    }).join(" "), now = Date.now();
    try {
      var seen = JSON.parse(window.localStorage.getItem(OPENED) || "{}") || {};
      if (seen[copy] && seen[copy] <= now) return seen[copy];
      seen[copy] = now;
      var newest = Object.keys(seen).sort(function (a, b) { return seen[b] - seen[a]; }).slice(0, OPENED_KEPT);
      window.localStorage.setItem(OPENED, JSON.stringify(newest.reduce(function (kept, key) {
        kept[key] = seen[key];
        return kept;
      }, {})));
    } catch (e) { /* private mode: from this opening */ }
    return now;
  }

  // The tablet's own time for sending is over (the server said so, or the page's count reached it).
  function teacherSends(box) {
    return !box.hasAttribute("data-for-staff") && (kept.timeOver || (sendsUntil !== null && Date.now() >= sendsUntil));
  }

  // Past its time limit with no signal: the station is closed, and the copy of its page the tablet kept
  // for no signal (with the group's names) goes; what waits to send stays, for the closed screen to send.
  function showOver() {
    var panel = document.getElementById("station-panel");
    var over = document.getElementById("station-over");
    if (!panel || !over) return;
    panel.textContent = "";
    panel.appendChild(over.content.cloneNode(true));
    panel.querySelector(".station-heading").focus();
    document.querySelectorAll("template#station-start, template#station-pick").forEach(function (kept) { kept.remove(); });
    if (window.caches) caches.delete("rrp-station").catch(function () { return null; });
  }

  function waiting(item) { return item.status === "waiting"; }

  function checkIns(count) { return count + " check-in" + (count === 1 ? "" : "s"); }

  // The tablet says how many wait, and how many were refused, with no name or answer; the teacher's
  // station page also lists the refused ones, with the reason, to discard once dealt with.
  function drawKept() {
    var box = keptBox();
    if (!box) return;
    var staff = box.hasAttribute("data-for-staff");
    if (staff && kept.readable === null) return;
    var ours = readable(box, thisStation()), others = thisStation().length - ours.length;
    var sendable = ours.filter(waiting).length, refused = ours.length - sendable, lines = [], later = teacherSends(box);
    if (later && sendable) {
      lines.push(checkIns(sendable) + " waiting for a teacher of " + box.getAttribute("data-group") + " to sign in on this tablet " +
                 "and open Check-ins. The tablet cannot send " + (sendable === 1 ? "it" : "them") + " by itself any more.");
    } else if (sendable) {
      lines.push(checkIns(sendable) + (staff ? " kept on this tablet waiting to send." : " waiting to send - keep this tablet on."));
    }
    if (sendable && kept.note && !later) lines.push(kept.note);
    if (refused) lines.push(checkIns(refused) + (staff ? " kept on this tablet not accepted by the school's system:"
                                                       : " not accepted: a teacher signed in on this tablet sees why under Check-ins."));
    if (others) lines.push(checkIns(others) + " kept on this tablet for another class's teacher.");
    box.querySelector("[data-station-kept-count]").textContent = lines.join(" ");
    box.querySelector("[data-station-send-now]").hidden = !sendable || later;
    box.hidden = !ours.length && !others;
    var list = box.querySelector("[data-station-kept-refused]");
    if (!list) return;
    list.textContent = "";
    ours.filter(function (item) { return !waiting(item); }).forEach(function (item) {
      var row = document.createElement("li"), discard = document.createElement("button");
      row.textContent = item.name + (box.hasAttribute("data-station-id") ? "" : " (" + item.group + ")") + ": " + item.answer + (item.word ? " “" + item.word + "”" : "") + ". " + item.reason + " ";
      discard.type = "button";
      discard.className = "button";
      discard.textContent = "Discard";
      discard.setAttribute("aria-label", "Discard " + item.name + "'s check-in");
      discard.setAttribute("data-station-discard", item.uuid);
      row.appendChild(discard);
      list.appendChild(row);
    });
  }

  function reloadKept() {
    if (!keptDb || !keptBox()) return Promise.resolve([]);
    return keptDb.items.all().then(function (items) {
      kept.items = items.sort(function (a, b) { return a.made_at < b.made_at ? -1 : 1; });
      return askReadable();
    }).then(function () {
      drawKept();
      return kept.items;
    });
  }

  // The tap on the scale, kept on the tablet: the pupil is thanked, truthfully, and the names come back.
  function keepCheckIn(form, submitter) {
    var heading = form.querySelector(".station-heading");
    var checkIn = { uuid: form.elements.client_uuid.value || newUuid(), station_id: Number(keptBox().getAttribute("data-station-id")),
                    group: keptBox().getAttribute("data-group"),
                    pupil_id: Number(form.elements.pupil_id.value), value: Number(submitter.value),
                    word: form.elements.word.value.trim(), made_at: new Date().toISOString(), status: "waiting",
                    name: heading.textContent.trim(),
                    answer: (submitter.querySelector(".checkin-label") || submitter).textContent.trim() };
    var stored = keptDb ? keptDb.items.put(checkIn) : Promise.reject(new Error("no IndexedDB"));
    return stored.then(function () {
      showStart(KEPT_THANKS);
      return reloadKept();
    }, function () {
      document.dispatchEvent(new CustomEvent("rrp:tell", { detail: { cause: null,
        text: "This tablet could not keep your check-in while there is no signal. Please tell your teacher." } }));
    });
  }

  function keptFallback(event) {
    var elt = event.detail.elt;
    return elt && elt.matches && elt.matches("[data-kept-offline]") && keptBox() ? elt : null;
  }

  // A name tapped, or a scale tapped, with no signal: not even tried; one that fails for want of a
  // network (or a server that cannot answer): the same, once it has failed. A tap that did reach the
  // server is recorded once all the same: it is sent again under the same id.
  function offline(elt, cause) {
    if (closesAt !== null && Date.now() >= closesAt) {
      showOver();
    } else if (elt.matches("form")) {
      var submitter = cause && cause.submitter;
      if (submitter && submitter.name === "value") keepCheckIn(elt, submitter);
    } else {
      showPick(elt);
    }
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = keptFallback(event);
    if (elt && !navigator.onLine) {
      event.preventDefault();
      offline(elt, event.detail.requestConfig && event.detail.requestConfig.triggeringEvent);
    }
  });
  ["htmx:sendError", "htmx:timeout", "htmx:responseError"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var elt = keptFallback(event);
      if (elt && (type !== "htmx:responseError" || event.detail.xhr.status >= 500)) {
        offline(elt, event.detail.requestConfig && event.detail.requestConfig.triggeringEvent);
      }
    });
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!window.htmx && !navigator.onLine && form.matches && form.matches("form[data-kept-offline]") && keptBox()) {
      event.preventDefault();  // htmx has not taken it (not loaded): kept here instead
      offline(form, event);
    }
  });

  // Sending: this station's waiting check-ins, each with its id and the time it was made; the server
  // answers each created, duplicate (both: forgotten here), rejected (kept, not sent again) or deferred.
  // The tablet past its time for sending (the server said so) sends no more: they wait for the teacher.
  function sendKept() {
    var box = keptBox();
    var batch = thisStation().filter(waiting).slice(0, MAX_BATCH);
    if (!box || kept.sending || !batch.length || !navigator.onLine || (kept.timeOver && teacherSends(box))) {
      drawKept();
      return Promise.resolve();
    }
    kept.sending = true;
    clearTimeout(kept.timer);
    var body = JSON.stringify({ sent_at: new Date().toISOString(), checkins: batch.map(function (item) {
      return { uuid: item.uuid, station_id: item.station_id, pupil_id: item.pupil_id, value: item.value,
               word: item.word, made_at: item.made_at };
    }) });
    var more = false;
    return window.rrpOutbox.fetchWithin(SEND_WAIT, box.getAttribute("data-send-url"), {
      method: "POST", credentials: "same-origin", body: body,
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": window.rrpOutbox.pageCsrf() || "" }
    }).then(function (response) {
      if (response.status >= 500) throw new Error("status " + response.status);
      if (!response.ok) {
        kept.note = "The school's system did not take them: they stay on this tablet. Tell the teacher.";
        return null;
      }
      return response.json().then(settleKept).then(function (sent) {
        more = sent && batch.length === MAX_BATCH;
        document.dispatchEvent(new CustomEvent("rrp:connected"));
      });
    }).catch(function () {
      kept.failures += 1;
      kept.timer = setTimeout(sendKept, window.rrpOutbox.retryDelay(kept.failures));
      kept.note = "Couldn't reach the school's system. Trying again shortly.";
    }).then(function () {
      kept.sending = false;
      return reloadKept();
    }).then(function () { return more ? sendKept() : null; });
  }

  function settleKept(answer) {
    kept.failures = 0;
    kept.note = "";
    var byUuid = {}, sent = 0;
    kept.items.forEach(function (item) { byUuid[item.uuid] = item; });
    return Promise.all(answer.results.map(function (result) {
      var item = byUuid[result.uuid];
      if (result.status === "deferred" && result.code === "tablet_time_over") kept.timeOver = true;
      if (!item || result.status === "deferred") return null;
      if (result.status === "created" || result.status === "duplicate") {
        sent += 1;
        return keptDb.items.remove(item.uuid);
      }
      item.status = "rejected";
      item.reason = result.reason || "The school's system did not accept it.";
      return keptDb.items.put(item);
    })).then(function () { return sent > 0; });
  }

  // Leaving station mode takes the server, so with no signal it is not tried (the check-ins waiting
  // stay either way); with signal they are sent first, and any still waiting are named in a question.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-station-leave]") || form.dataset.sent) return;
    if (!navigator.onLine) {
      event.preventDefault();
      document.dispatchEvent(new CustomEvent("rrp:tell", { detail: { cause: event,
        text: "No signal: leaving station mode needs it. Check-ins waiting stay on this tablet." } }));
      return;
    }
    if (!thisStation().some(waiting)) return;
    event.preventDefault();
    sendKept().then(function () {
      var left = thisStation().filter(waiting).length;
      if (left && !window.confirm(checkIns(left) + (left === 1 ? " has" : " have") + " not been sent yet. Leave anyway? " +
          "They stay on this tablet, and your station page sends them when it can.")) return;
      form.dataset.sent = "1";
      form.requestSubmit();
    });
  });

  document.addEventListener("click", function (event) {
    var target = event.target.closest && event.target.closest("[data-station-send-now], [data-station-discard]");
    if (!target) return;
    if (target.hasAttribute("data-station-send-now")) {
      kept.failures = 0;
      kept.note = navigator.onLine ? "Sending…" : "No signal yet: they send by themselves when the tablet is back online.";
      drawKept();
      sendKept();
      return;
    }
    var uuid = target.getAttribute("data-station-discard"), box = keptBox();
    var mine = box && readable(box, thisStation()).some(function (item) { return item.uuid === uuid; });
    if (mine && window.confirm("Discard this check-in? It has not been recorded on the school's system.")) {
      keptDb.items.remove(uuid).then(reloadKept);
    }
  });

  window.addEventListener("online", function () {
    kept.failures = 0;
    document.dispatchEvent(new CustomEvent("rrp:connected"));
    sendKept();
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") reloadKept().then(sendKept);
  });
  // Any request that works (the station's 20 s status check among them): the connection is back.
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful && keptBox()) {
      document.dispatchEvent(new CustomEvent("rrp:connected"));
      sendKept();
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var panel = event.detail.target;
    if (panel && panel.id === "station-panel") {
      var heading = panel.querySelector(".station-heading");
      if (heading) heading.focus();
      armReset();
    }
  });

  // Each check-in arriving draws the live list again. "Not checked in yet", opened to see who is
  // still to come, stays open, and keeps the focus if it had it.
  var waitingState = null;
  function liveList(event) {
    // the stream's events fire on the list itself; a poll's swap names the list as its target
    var target = event.target.id === "station-checkins" ? event.target : event.detail && event.detail.target;
    return target && target.id === "station-checkins" ? target : null;
  }
  function rememberWaiting(event) {
    var list = liveList(event);
    var waiting = list && list.querySelector("details.checkin-waiting");
    waitingState = waiting ? { open: waiting.open, focused: waiting.contains(document.activeElement) } : null;
  }
  function restoreWaiting(event) {
    var list = liveList(event);
    var waiting = list && list.querySelector("details.checkin-waiting");
    if (waiting && waitingState) {
      waiting.open = waitingState.open;
      if (waitingState.focused) waiting.querySelector("summary").focus();
    }
    if (list) waitingState = null;
  }
  document.addEventListener("htmx:sseBeforeMessage", rememberWaiting);
  document.addEventListener("htmx:sseMessage", restoreWaiting);
  document.addEventListener("htmx:beforeSwap", rememberWaiting);
  document.addEventListener("htmx:afterSwap", restoreWaiting);

  // The live list: Server-Sent Events, or polling while the stream cannot connect.
  function setUpLive(live) {
    var timer = null;
    var list = live.querySelector("[sse-swap]");
    function poll() {
      window.htmx.ajax("GET", live.getAttribute("data-poll-url"), { target: list, swap: "innerHTML" });
    }
    function startPolling() {
      if (!timer) timer = window.setInterval(poll, 10000);
    }
    function stopPolling() {
      window.clearInterval(timer);
      timer = null;
    }
    if (!("EventSource" in window)) {
      startPolling();
      return;
    }
    live.addEventListener("htmx:sseError", startPolling);
    live.addEventListener("htmx:sseOpen", stopPolling);
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-poll-url]"), setUpLive);
    armReset();
    noteClosing();
    reloadKept().then(sendKept);
  });
})();
