// Circle screens: show the fresh state a 409 carries, fall back to polling when the live
// stream cannot connect, and stop listening once the circle has ended for this device.
// Live updates morph the page (idiomorph) rather than replace it, so a button a finger is on
// stays the same button and the tap counts; a seat's menu the keeper has opened stays open
// ([data-keep-open]; the keeper-only check-in answers close again, as a shared tablet goes round);
// and a list of people a keeper is ticking or choosing from ([data-keep-choices]) gains and loses
// people without losing the keeper's choice.
(function () {
  "use strict";

  if (window.Idiomorph) {
    window.Idiomorph.defaults.callbacks.beforeAttributeUpdated = function (name, node) {
      if ((name === "checked" || name === "selected") && node.closest("[data-keep-choices]")) {
        return false;
      }
      return !(name === "open" && node.hasAttribute("data-keep-open"));
    };
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr && event.detail.xhr.status === 409) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  function startPolling(live) {
    if (live.getAttribute("data-polling")) { return; }
    live.setAttribute("data-polling", "1");
    live.querySelectorAll("[data-poll-url]").forEach(function (region) {
      region.setAttribute("hx-get", region.getAttribute("data-poll-url"));
      region.setAttribute("hx-trigger", "every 3s");
      region.setAttribute("hx-swap", "morph:innerHTML settle:0ms");
      region.setAttribute("hx-target", "this");
      if (window.htmx) { window.htmx.process(region); }
    });
  }

  document.addEventListener("htmx:sseError", function (event) {
    var live = event.target.closest ? event.target.closest("[sse-connect]") : null;
    if (live) { startPolling(live); }
  });

  document.addEventListener("htmx:afterSettle", function () {
    var live = document.getElementById("seat-live");
    var ended = live && live.querySelector("[data-circle-ended]");
    if (ended) {
      live.parentNode.replaceChild(ended, live);
    }
  });
})();
