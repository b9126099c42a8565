// Circle screens: show the fresh state a 409 carries, poll while the live stream is down (and only
// then), keep what a person is in the middle of doing, put the focus somewhere sensible when the
// control just tapped (or the one a live update took away) goes away, stop listening once the
// circle has ended for this device, and send a join form once.
// Live updates morph the page (idiomorph) rather than replace it, so a button a finger is on
// stays the same button and the tap counts; a seat's menu the keeper has opened stays open
// ([data-keep-open]); a list of people a keeper is ticking or choosing from ([data-keep-choices])
// gains and loses people without losing the keeper's choice; and a word being typed
// ([data-keep-value]) stays.
(function () {
  "use strict";

  var POLL_AFTER_MS = 5000;  // a blip (Wi-Fi, a phone waking, a server restart) reconnects sooner: no polling
  var POLL_EVERY_MS = 3000;

  if (window.Idiomorph) {
    var callbacks = window.Idiomorph.defaults.callbacks;
    callbacks.beforeAttributeUpdated = function (name, node) {
      if ((name === "checked" || name === "selected") && node.closest("[data-keep-choices]")) {
        return false;
      }
      return !(name === "open" && node.hasAttribute("data-keep-open"));
    };
    // The new HTML of a text box has no value, and idiomorph would empty the box: a word typed for the
    // same question by the same person (the same data-keep-value) is carried into it instead. A new
    // question, or the next person on a shared device, starts with an empty box.
    callbacks.beforeNodeMorphed = function (oldNode, newNode) {
      if (oldNode.nodeType === 1 && newNode.nodeType === 1 && oldNode.value &&
          oldNode.hasAttribute("data-keep-value") &&
          newNode.getAttribute("data-keep-value") === oldNode.getAttribute("data-keep-value")) {
        newNode.setAttribute("value", oldNode.value);
      }
      return true;
    };
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr && event.detail.xhr.status === 409) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Polling: only once the stream has been down for POLL_AFTER_MS, and only until it is back. A poll
  // is the page asking by itself (X-RRP-Background), so a keeper screen left open on a shared device
  // still signs out when nobody uses it.
  var polling = new WeakMap();  // live element -> {delay, timer}
  var inFlight = new WeakSet();  // regions whose poll has not answered yet

  function liveOf(event) {
    return event.target && event.target.closest ? event.target.closest("[sse-connect]") : null;
  }

  function pollOnce(live) {
    if (!document.body.contains(live)) {
      stopPolling(live);
      return;
    }
    live.querySelectorAll("[data-poll-url]").forEach(function (region) {
      if (inFlight.has(region)) { return; }
      inFlight.add(region);
      var done = function () { inFlight.delete(region); };
      window.htmx.ajax("GET", region.getAttribute("data-poll-url"), {
        source: region, target: region, swap: "morph:innerHTML settle:0ms",
        headers: { "X-RRP-Background": "1" }
      }).then(done, done);
    });
  }

  function stopPolling(live) {
    var state = polling.get(live);
    if (!state) { return; }
    clearTimeout(state.delay);
    clearInterval(state.timer);
    polling.delete(live);
  }

  document.addEventListener("htmx:sseError", function (event) {
    var live = liveOf(event);
    if (!live || polling.has(live) || !window.htmx) { return; }
    var state = {};
    polling.set(live, state);
    state.delay = setTimeout(function () {
      pollOnce(live);
      state.timer = setInterval(function () { pollOnce(live); }, POLL_EVERY_MS);
    }, POLL_AFTER_MS);
  });

  document.addEventListener("htmx:sseOpen", function (event) {
    var live = liveOf(event);
    if (live) { stopPolling(live); }
  });

  // Every keeper answer carries the circle's version (X-Circle-Version). "Move earlier/later" sends the
  // hidden #k-version, which is redrawn only with the piece panel: it follows the answers too (never
  // backwards), so a move right after a Let in, a Remove or another move is not refused as stale.
  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail.xhr, field = document.getElementById("k-version");
    var version = xhr && field ? Number(xhr.getResponseHeader("X-Circle-Version")) : 0;
    if (version > Number(field && field.value)) { field.value = String(version); }
  });

  // Focus: a control marked data-focus-after (Give, Let in, Not now, Remove, the holder's and check-in
  // buttons) goes away once its change is made, and the focus would fall to the top of the page. It
  // moves to the first of the places the attribute names that is there: "row-more" (this row's More
  // menu), "row-next" / "row-previous" (the first control of the row below / above), or an #id.
  var pendingFocus = null;

  function rowControl(row) {
    return row && row.id ? "#" + CSS.escape(row.id) + " :is(button, summary)" : null;
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    // the tapped button's own places (one form, several actions: Remove beside the moves), else the form's
    var sent = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
    var button = sent && sent.submitter, elt = event.detail.elt;
    var control = (button && button.closest("[data-focus-after]")) ||
      (elt && elt.closest && elt.closest("[data-focus-after]"));
    if (!control) { return; }
    var row = control.closest("li[id]");
    var places = {
      "row-more": row && row.id ? "#" + CSS.escape(row.id) + " summary" : null,
      "row-next": rowControl(row && row.nextElementSibling),
      "row-previous": rowControl(row && row.previousElementSibling)
    };
    pendingFocus = {
      xhr: event.detail.xhr,
      control: control,
      selectors: control.getAttribute("data-focus-after").split(/\s+/).map(function (word) {
        return Object.prototype.hasOwnProperty.call(places, word) ? places[word] : word;
      }).filter(Boolean)
    };
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var pending = pendingFocus;
    if (!pending || event.detail.xhr !== pending.xhr) { return; }
    pendingFocus = null;
    // refused (409) with the control still there: the focus stays on it, beside the refusal
    if (pending.xhr.status !== 200 && pending.control.isConnected) { return; }
    for (var i = 0; i < pending.selectors.length; i++) {
      var place = document.querySelector(pending.selectors[i]);
      if (place && place !== pending.control && place.getClientRects().length) {
        place.focus();
        return;
      }
    }
  });

  // A live update can take away the control the focus is on (the keeper took the piece back while a
  // pupil's focus was on "I've finished"): the focus moves to what has happened in that region (its
  // tabindex="-1" line, e.g. who has the piece now), not lost at the top of the page.
  var focusedRegion = null;

  document.addEventListener("htmx:sseBeforeMessage", function (event) {
    var active = document.activeElement;
    focusedRegion = active && active !== document.body && event.target.contains(active) ? event.target : null;
  });

  document.addEventListener("htmx:sseMessage", function (event) {
    var region = focusedRegion, active = document.activeElement;
    focusedRegion = null;
    if (region !== event.target || (active && active !== document.body && active.isConnected)) { return; }
    var place = region.querySelector("[tabindex='-1']");
    if (place) { place.focus(); }
  });

  // Let in while the focus was on "Stop waiting": the stylesheet hides it and shows "Leave the circle"
  // in its place, where the focus goes (not lost at the top of the page).
  // Live or, with the stream down, polled. The seat shows before this script has come (a slow tablet):
  // a focus that came to "Stop waiting" before then (a tap, then Cancel) came with no focusin to hear.
  var leaving = null;
  function noteLeaving(element) {
    leaving = element && element.closest && element.closest(".seat-leave") ? element : null;
  }
  noteLeaving(document.activeElement);
  document.addEventListener("focusin", function (event) { noteLeaving(event.target); });
  function keepLeavingFocus() {
    var was = leaving, active = document.activeElement;
    if (!was || !was.isConnected || was.getClientRects().length || (active !== was && active !== document.body)) { return; }
    var shown = Array.prototype.filter.call(was.form.querySelectorAll("button"), function (button) {
      return button.getClientRects().length;
    })[0];
    if (shown) { shown.focus(); }
  }
  document.addEventListener("htmx:sseMessage", keepLeavingFocus);
  document.addEventListener("htmx:afterSettle", keepLeavingFocus);

  document.addEventListener("htmx:afterSettle", function () {
    var live = document.getElementById("seat-live");
    var ended = live && live.querySelector("[data-circle-ended]");
    if (ended) {
      stopPolling(live);
      live.parentNode.replaceChild(ended, live);
    }
  });

  // A join form is sent once: a second tap (or a double tap) would ask for the same seat again. Back
  // from the seat (the page kept in the browser's memory), the button works again.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-send-once")) { return; }
    if (form.hasAttribute("data-sent")) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-sent", "");
    form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = true; });
  });

  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-send-once][data-sent]").forEach(function (form) {
      form.removeAttribute("data-sent");
      form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = false; });
    });
  });
})();
