// School record sync admin screens: how much of a roster package has been sent while it uploads.
(function () {
  "use strict";

  document.addEventListener("htmx:xhr:progress", function (event) {
    var bar = document.getElementById("upload-bar");
    if (!bar || !event.detail || !event.detail.lengthComputable) return;
    bar.max = 100;
    bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
    bar.textContent = bar.value + "%";
  });

  // The package is sent through htmx, which swaps the page's main part in and leaves the focus on <body> (the
  // form it was on is gone): put it where the answer is, as static/js/app.js does after a form sent without htmx.
  // A field to put right (no file chosen), else the package's problems, else the heading of the changes to check.
  // At the swap itself (not at its settle, a moment later), and never taking the focus from where a person has
  // put it since.
  document.addEventListener("htmx:afterSwap", function (event) {
    var config = event.detail && event.detail.requestConfig;
    if (!config || !config.elt || config.elt.id !== "roster-upload") return;
    var main = document.getElementById("main"), active = document.activeElement;
    if (!main || (active && active !== document.body)) return;
    var place = main.querySelector("[aria-invalid=true]") || main.querySelector(".form-errors[role=alert]") ||
      main.querySelector("h1");
    if (!place) return;
    if (!place.matches("input, select, textarea, button")) place.setAttribute("tabindex", "-1");
    place.focus();
  });
})();
