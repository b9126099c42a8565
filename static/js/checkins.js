// Check-ins: the station's screen flow and the staff's live list. No inline script (strict CSP).
(function () {
  "use strict";

  var resetTimer = null;

  // The names, from the copy kept in the page (<template id="station-start">): going back to them
  // asks the server for nothing, so with no signal the check-in screen still goes, and the next
  // pupil never finds the last one's name and word.
  function showStart() {
    var panel = document.getElementById("station-panel");
    var start = document.getElementById("station-start");
    if (!panel || !start) return false;
    panel.textContent = "";
    panel.appendChild(start.content.cloneNode(true));
    if (window.htmx) window.htmx.process(panel);
    var heading = panel.querySelector(".station-heading");
    if (heading) heading.focus();
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

  document.addEventListener("htmx:afterSwap", function (event) {
    var panel = event.detail.target;
    if (panel && panel.id === "station-panel") {
      var heading = panel.querySelector(".station-heading");
      if (heading) heading.focus();
      armReset();
    }
  });

  // Validation answers (400) replace the check-in screen so the message shows beside the field.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (event.detail.xhr.status === 400 && target && target.closest && target.closest("[data-swap-errors]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
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
  });
})();
