// Peer mediation: "Get an adult" keeps what was typed, and the Print button on the badge sheet.
// No inline script (strict CSP).
(function () {
  "use strict";
  // "Get an adult" takes along what is typed on the step's screen (the stories' key words, the
  // feelings picked, the ideas, the agreements), so the server keeps it through the pause instead of
  // it being lost with the page. Without this script help still comes; only the typing is not kept.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var step = form.getAttribute && document.getElementById(form.getAttribute("data-takes-typed") || "");
    if (!step || event.defaultPrevented) {
      return;
    }
    Array.prototype.forEach.call(form.querySelectorAll("input[data-typed]"), function (old) {
      old.parentNode.removeChild(old);
    });
    new FormData(step).forEach(function (value, name) {
      if (name === "csrf_token" || name === "version" || name === "go") {
        return;
      }
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = value;
      input.setAttribute("data-typed", "");
      form.appendChild(input);
    });
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) {
      window.print();
    }
  });
})();
