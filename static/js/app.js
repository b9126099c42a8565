// RRP page script: service worker registration, confirmation before destructive actions, and
// a visible message when an htmx request is refused or cannot reach the server.
// No inline script anywhere (strict CSP); behaviour hangs off data attributes.
(function () {
  "use strict";

  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { /* the app works without it */ });
    });
  }

  // A refused or failed htmx request is not swapped into its target by default, so the
  // server's friendly error fragment (or a word about the connection) is shown here instead.
  function showRequestError(html, text) {
    var box = document.getElementById("request-errors");
    if (!box) return;
    if (html) {
      box.innerHTML = html;
    } else {
      box.textContent = "";
      var panel = document.createElement("div");
      panel.className = "error-panel";
      panel.textContent = text;
      box.appendChild(panel);
    }
  }

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (!xhr || xhr.status === 409) return;  // circles show the fresh state a 409 carries
    var body = xhr.responseText || "";
    showRequestError(body.indexOf('class="error-panel"') !== -1 ? body : "",
                     "Something went wrong (" + xhr.status + "). Please try again.");
  });

  document.addEventListener("htmx:sendError", function () {
    showRequestError("", "No connection just now. Nothing was lost; try again when you are back in signal.");
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var box = document.getElementById("request-errors");
    if (box && event.detail.successful && box.firstChild) box.textContent = "";
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
})();
