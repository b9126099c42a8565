// Circle screens: a control tapped before the page's deferred scripts have run (a slow phone, a page
// still loading) is sent as the plain form POST it also is, instead of being lost. The live controls'
// HTML is shared by every device of the circle, so it carries no CSRF token: the page's own token (the
// one htmx sends from <body hx-headers>) is added to the form as it goes, with the fields the control
// names in hx-include (the version the keeper's screen shows). Once htmx has taken a submit over (it
// cancels the browser's own), this adds nothing. Loaded async in the page's head: run as soon as it
// arrives (1 KB, fetched beside the stylesheets the first paint waits for), it is listening before a
// control can be tapped without holding up that paint, as a blocking script did (Lighthouse: the
// keeper's screen 89-95 with it blocking); no inline script (strict CSP). A tap in the moment before this
// has arrived goes without the token: the server changes nothing and sends the screen back, saying the tap
// came before the screen was ready, so tap again (rrp_pwa/circles/early_tap.py).
// A form's (or its tapped button's) data-confirm question is asked here too, before anything is sent, and marked as asked
// (event.rrpAsked) so that static/js/app.js does not ask it again; a yes marks the form asked=yes, so that the
// server, which asks on a page of its own a form that comes unasked (tapped before this arrived), does not.
(function () {
  "use strict";

  var TOKEN_FIELD = "csrf_token";

  document.addEventListener("submit", function (event) {
    var form = event.target, button = event.submitter;
    var asker = button && button.hasAttribute("data-confirm") ? button : form;  // the tapped button's, else the form's
    var question = asker.getAttribute && asker.getAttribute("data-confirm");
    if (!question || event.rrpAsked) { return; }
    event.rrpAsked = true;
    if (!window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    carry(form, "asked", "yes");  // said yes here: the server does not ask again (rrp_pwa/asking.py)
  }, true);

  function pageToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || null;
    } catch (error) {
      return null;
    }
  }

  function carry(form, name, value) {
    if (form.elements.namedItem(name)) { return; }
    var field = document.createElement("input");
    field.type = "hidden";
    field.name = name;
    field.value = value;
    form.appendChild(field);
  }

  window.rrpEarlyTap = true;  // listening (tests/e2e/test_circle_early_tap.py taps before and after this has arrived)

  // Bubbling, so htmx (listening on the form itself) has already cancelled the submits it sends.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.hasAttribute || !form.hasAttribute("hx-post")) { return; }
    var token = pageToken();
    if (token) { carry(form, TOKEN_FIELD, token); }
    var include = form.getAttribute("hx-include");
    if (include) {
      Array.prototype.forEach.call(document.querySelectorAll(include), function (field) {
        if (field.name) { carry(form, field.name, field.value); }
      });
    }
  });
})();
