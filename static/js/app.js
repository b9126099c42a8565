// RRP page script: service worker registration, confirmation before destructive actions, a
// visible message when an htmx request is refused, cannot reach the server or gets no answer, a
// busy look on the button whose request is on its way, and urgent forms kept when there is no signal.
// No inline script anywhere (strict CSP); behaviour hangs off data attributes.
(function () {
  "use strict";

  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { /* the app works without it */ });
    });
  }

  // A refused or failed htmx request is not swapped into its target, so what went wrong is said in
  // a message fixed to the bottom of the screen: a tap low on a long page (a keeper's controls on a
  // phone) is answered where the person is looking. It says plainly whether the action was done,
  // and stays until it is dismissed or a later request succeeds. One about the connection alone (a
  // search or a look that found no signal: nothing was lost) goes as soon as the connection is back:
  // the online event, or any request that works. "Saved on this device" (Log a chat kept with no
  // signal, static/js/capture.js) tells the adult the record is safe: a later message is said beneath
  // it, never in its place, until it is dismissed or the person's next request works.
  var WORDS = {
    offline: { change: "Not done: there is no connection. Try again when you have signal.",
               look: "No connection just now. Try again when you have signal." },
    timeout: { change: "No answer: the connection is too slow, so this may not have been done. Check, then try again.",
               look: "No answer: the connection is too slow. Try again in a moment." }
  };
  var CONNECTION = "connection", KEPT = "kept";  // kinds of message: about the connection alone; saved on this device
  var shown = null;      // { text, person, kind } of the message on screen; person: it answers a person's own tap
  var kept = null;       // { text, nodes } of "saved on this device" while it is on screen
  var dismissed = null;  // the text the person dismissed: a background request does not bring it back

  function region() { return document.getElementById("request-errors"); }

  function byPerson(detail) {
    var cause = detail.requestConfig && detail.requestConfig.triggeringEvent;
    // a tap, a key or a submit; not a poll, a timer or a live update. An event sent on by this script for a
    // person's key (Enter in a pupil search) carries that key as its cause.
    var key = cause && cause.detail && cause.detail.cause;
    return !!(cause && (cause.isTrusted || (key && key.isTrusted)));
  }

  function changes(detail) {
    var verb = detail.requestConfig && detail.requestConfig.verb;
    return !!verb && verb.toLowerCase() !== "get";
  }

  // Every message goes; or (lesserOnly) the one said beneath "saved on this device", which stays.
  function clearMessage(lesserOnly) {
    var box = region();
    if (lesserOnly && kept) {
      var lesser = box && box.querySelector("[data-said]");
      if (lesser) lesser.remove();
      shown = { text: kept.text, person: true, kind: KEPT };
      return;
    }
    if (box) box.textContent = "";
    shown = null;
    kept = null;
  }

  function paragraphs(content) {
    if (typeof content !== "string") return content;
    var paragraph = document.createElement("p");
    paragraph.textContent = content;
    return [paragraph];
  }

  // ``content``: text, or nodes from the server's own error fragment. ``kind``: CONNECTION, KEPT or none.
  function showMessage(content, detail, kind) {
    var box = region();
    if (!box) return;
    var text = typeof content === "string" ? content
      : content.map(function (node) { return node.textContent; }).join("").trim();
    var person = kind === KEPT || byPerson(detail);
    // A poll or a live update neither repeats a message every few seconds nor hides a person's own.
    if (!person && (text === dismissed || (shown && (shown.person || shown.text === text)))) return;
    var nodes = paragraphs(content);
    if (kind === KEPT) kept = { text: text, nodes: nodes.map(function (node) { return node.cloneNode(true); }) };
    box.textContent = "";
    var toast = document.createElement("div");
    toast.className = "toast";
    var message = document.createElement("div");
    message.className = "toast-message";
    if (kept && kind !== KEPT) {  // said already: it stays in sight, not read out again
      var safe = document.createElement("div");
      safe.className = "toast-kept";
      kept.nodes.forEach(function (node) { safe.appendChild(node.cloneNode(true)); });
      message.appendChild(safe);
    }
    var said = document.createElement("div");
    said.setAttribute("role", "alert");
    if (kind !== KEPT) said.setAttribute("data-said", "");
    nodes.forEach(function (node) { said.appendChild(node); });
    message.appendChild(said);
    var dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.className = "button";
    dismiss.textContent = "Dismiss";
    dismiss.setAttribute("data-dismiss-message", "");
    toast.appendChild(message);
    toast.appendChild(dismiss);
    box.appendChild(toast);
    shown = { text: text, person: person, kind: kind };
    dismissed = null;
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-dismiss-message]")) {
      dismissed = shown && shown.text;
      clearMessage();
    }
  });

  // The signal is back: a message about the connection alone is out of date.
  window.addEventListener("online", function () {
    if (shown && shown.kind === CONNECTION) clearMessage(true);
  });

  // Log a chat's form is kept on the device when it cannot be sent (static/js/capture.js says so); so is
  // a check-in at the class station, whose names also open with no signal (static/js/checkins.js).
  function keptOnDevice(detail) {
    return !!(detail.elt && detail.elt.matches && detail.elt.matches("[data-outbox-fallback], [data-kept-offline]"));
  }

  // The app's own error panel in an answer (templates/errors/_error.html), if that is what it is.
  function errorPanel(xhr) {
    return new DOMParser().parseFromString(xhr.responseText || "", "text/html").querySelector(".error-panel");
  }

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (!xhr || xhr.status === 409) return;  // circles show the fresh state a 409 carries
    if (xhr.status >= 500 && keptOnDevice(event.detail)) return;
    var panel = errorPanel(xhr);
    showMessage(panel ? Array.prototype.slice.call(panel.childNodes)
                      : "Something went wrong (" + xhr.status + "). Please try again.", event.detail);
  });

  // Log a chat's pupil search or pick with no signal (or none that answers) is a dead end on its own: the way on
  // is Record offline, which finds pupils in the list kept on the phone.
  function offlineWayOn(detail, why) {
    var holder = detail.elt && detail.elt.closest && detail.elt.closest("[data-no-signal]");  // the search, a pick
    var href = holder && holder.getAttribute("data-no-signal");
    if (!href) return false;
    var paragraph = document.createElement("p"), link = document.createElement("a");
    link.href = href;
    link.textContent = "Record offline";
    paragraph.appendChild(document.createTextNode(why + ", so pupils can't be found here. "));
    paragraph.appendChild(link);
    paragraph.appendChild(document.createTextNode(" finds them on this phone and sends the chat when you're back online."));
    showMessage([paragraph], detail, CONNECTION);
    return true;
  }

  // A pick that is a link (no pupil chosen yet) would open the offline page in place of Log a chat: it says the same.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-no-signal] a[href]");
    if (!link || navigator.onLine !== false) return;
    event.preventDefault();
    offlineWayOn({ elt: link, requestConfig: { triggeringEvent: event } }, "No signal");
  });

  // A request that must reach a person at once (the concern panel's Raise a concern and Send to the DSL)
  // says with no signal what to do instead: its data-offline-message. Only a person's own request: a poll of a
  // live part inside such a form (a circle keeper's "Who is it about?") sent nothing, and is no signal alone.
  function urgentWithNoSignal(detail) {
    if (!byPerson(detail)) return false;
    var urgent = detail.elt && detail.elt.closest && detail.elt.closest("[data-offline-message]");
    if (urgent) showMessage(urgent.getAttribute("data-offline-message"), detail);
    return !!urgent;
  }

  document.addEventListener("htmx:sendError", function (event) {
    if (keptOnDevice(event.detail) || offlineWayOn(event.detail, "No signal") || urgentWithNoSignal(event.detail)) return;
    var change = changes(event.detail);
    showMessage(WORDS.offline[change ? "change" : "look"], event.detail, change ? null : CONNECTION);
  });

  document.addEventListener("htmx:timeout", function (event) {
    if (keptOnDevice(event.detail) || offlineWayOn(event.detail, "No answer: the connection is too slow")) return;
    var change = changes(event.detail);
    showMessage(WORDS.timeout[change ? "change" : "look"], event.detail, change ? null : CONNECTION);
  });

  // A form's validation answer (400) takes the place of the form inside a [data-swap-errors] panel (the check-in
  // station, the concern panel), so each message shows beside its field and what was typed stays. A refusal of
  // the request itself (a CSRF token gone stale: the app's error panel) is not swapped over what was written:
  // it is said in the message at the bottom of the screen.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target, xhr = event.detail.xhr;
    if (xhr.status === 400 && target && target.closest && target.closest("[data-swap-errors]") && !errorPanel(xhr)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // An answer for a part of the page that has been replaced while it was on its way (a pupil picked on Log a chat
  // just before Save, on slow Wi-Fi, answered after the saved chat's empty form came) is out of date: it lands
  // off the page, and the address it carries (the last chat's pupils) is not put in the address bar, where a
  // reload would bring them back as chosen. (htmx tells of it on the body; its own events go to the part gone.)
  document.addEventListener("htmx:beforeHistoryUpdate", function (event) {
    var target = event.detail.target;
    if (target && !target.isConnected) {
      event.detail.history.type = "replace";
      event.detail.history.path = location.pathname + location.search + location.hash;
    }
  });

  // The concern panel (templates/conversations/_safety.html): while its form is open, Raise a concern is put
  // away (a second tap would fetch a blank form over what was written) and the focus goes to the form's
  // heading, or to the first field to put right; once sent, to "Sent to the DSL", which is read out.
  // Cancel closes the form, back to Raise a concern. The record on the page is never touched. When the page
  // around the panel is swapped (Log a chat's picks and Save), the panel is kept as it was (hx-preserve): a
  // concern being written stays, and "Sent to the DSL", said already, goes.
  function concernOpener(panel) {
    return panel.closest(".safety").querySelector("[data-concern-open]");
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var panel = document.getElementById("concern-panel"), target = event.detail.target;
    if (panel && target && target !== panel && target.contains(panel) && panel.querySelector(".concern-sent")) {
      panel.textContent = "";
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var panel = document.getElementById("concern-panel");
    if (!panel) return;
    concernOpener(panel).hidden = !!panel.querySelector("form");
    if (event.detail.target !== panel) return;
    var focus = panel.querySelector("[aria-invalid=true]") || panel.querySelector("[data-concern-focus]");
    if (focus) focus.focus();
  });

  // The concern panel open on the page of a record whose pupils change as it is written (Log a chat, Start a
  // conversation: data-concern-follows; its Raise a concern's address names the pupils chosen now) follows them:
  // Who is it about? offers a pupil added and no longer one taken off, unless chosen. The server builds the
  // choice, as when the form opened (follow: shown again, not sent); only the parts that say who
  // (data-concern-who) and the form's address are put in place, so nothing typed in the concern is touched.
  // A choice the person made (or Find made) stays; the form's first guess, its only pupil, does not: with
  // several, nobody is chosen for them.
  function pupilIds(address) {
    return new URL(address, location.href).searchParams.getAll("pupil_id");
  }

  function followPupils() {
    var panel = document.getElementById("concern-panel");
    var form = panel && panel.querySelector("form");
    if (!form || !form.hasAttribute("hx-post") || form.rrpFollowing || !panel.closest("[data-concern-follows]")) return;
    var wanted = pupilIds(concernOpener(panel).href);
    if (wanted.join(" ") === pupilIds(form.action).join(" ")) return;
    var address = new URL(form.action);
    address.searchParams.delete("pupil_id");
    wanted.forEach(function (id) { address.searchParams.append("pupil_id", id); });
    var find = form.querySelector("input[type=search]"), prefix = find.name.slice(0, -"find".length);
    var who = form.elements.namedItem(prefix + "pupil_id"), sent = who ? who.value : null;
    var data = new FormData(form);
    if (who && !who.hasAttribute("data-who-chosen")) data.delete(who.name);
    data.set(find.name, find.defaultValue);  // the pupils its last Find found, not letters typed since
    data.set(prefix + "follow", "1");
    form.rrpFollowing = true;
    fetch(address.pathname + address.search, { method: "POST", body: new URLSearchParams(data),
                                               credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        form.rrpFollowing = false;
        if (!html || !form.isConnected) return;
        var now = form.elements.namedItem(prefix + "pupil_id");
        if ((now ? now.value : null) !== sent) return followPupils();  // chosen meanwhile: asked again with it
        var answer = new DOMParser().parseFromString(html, "text/html").querySelector("form");
        var fresh = answer && answer.querySelectorAll("[data-concern-who]");
        var parts = form.querySelectorAll("[data-concern-who]");
        if (!fresh || fresh.length !== parts.length) return;
        var refocus = now && document.activeElement === now;
        Array.prototype.forEach.call(parts, function (part, i) { part.replaceWith(document.importNode(fresh[i], true)); });
        ["action", "hx-post"].forEach(function (name) { form.setAttribute(name, answer.getAttribute(name)); });
        if (window.htmx) window.htmx.process(form);
        var chosen = form.elements.namedItem(prefix + "pupil_id");
        if (refocus && chosen) chosen.focus();
        followPupils();  // the pupils changed again meanwhile
      }, function () { form.rrpFollowing = false; });  // no signal: as it was, until the pupils change again
  }

  document.addEventListener("htmx:afterSettle", followPupils);

  document.addEventListener("change", function (event) {
    var who = event.target;
    if (!who.matches || !who.matches("#concern-panel select")) return;
    who.setAttribute("data-who-chosen", "");
    var mark = who.form && who.form.elements.namedItem(who.name.replace(/pupil_id$/, "who_chosen"));
    if (mark) mark.value = "1";  // and so it stays when the form comes back (a Send refused, a Find)
  });

  // A concern written and not yet sent is not lost to a tap that leaves the page (the record's own Save and
  // continue, a link): the browser asks first.
  window.addEventListener("beforeunload", function (event) {
    var note = document.querySelector("#concern-panel textarea");
    if (note && note.value.trim()) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  document.addEventListener("click", function (event) {
    var close = event.target.closest && event.target.closest("[data-concern-close]");
    if (!close) return;
    var panel = close.closest("#concern-panel"), opener = concernOpener(panel);
    panel.textContent = "";
    opener.hidden = false;
    opener.focus();
  });

  // A file upload takes as long as it takes (it shows its own progress); other requests give up
  // after the timeout set in the page's htmx-config.
  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.querySelector && elt.querySelector("input[type=file]")) event.detail.timeout = 0;
  });

  // The button a person tapped looks busy until its request ends, however it ends.
  document.addEventListener("htmx:beforeSend", function (event) {
    var detail = event.detail;
    var cause = detail.requestConfig && detail.requestConfig.triggeringEvent;
    var button = (cause && cause.submitter) || detail.elt;
    if (!byPerson(detail) || !button || !button.matches || !button.matches("button, [type=submit], a")) return;
    button.classList.add("busy");
    button.setAttribute("aria-busy", "true");
    detail.xhr.rrpBusy = button;
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var detail = event.detail;
    var button = detail.xhr && detail.xhr.rrpBusy;
    if (button) {
      button.classList.remove("busy");
      button.removeAttribute("aria-busy");
    }
    // A message about a person's tap goes when their next request works; a poll's, and one about the
    // connection alone, when any does ("saved on this device" staying, unless the person's own works).
    if (detail.successful && shown && (!shown.person || byPerson(detail))) clearMessage(!byPerson(detail));
    else if (detail.successful && shown && shown.kind === CONNECTION) clearMessage(true);
    if (detail.successful) dismissed = null;
  });

  // Something another script has to tell the person about their tap, in the same place
  // (static/js/outbox.js: Sign out with no signal or no answer; static/js/capture.js: Log a chat kept on the
  // device, ``kept``: it says the record is safe): text, or nodes.
  document.addEventListener("rrp:tell", function (event) {
    showMessage(event.detail.nodes || event.detail.text, { requestConfig: { triggeringEvent: event.detail.cause } },
                event.detail.kept ? KEPT : null);
  });
  // ...and the connection is back (the check-in station, whose next pupil must not read the last one's).
  document.addEventListener("rrp:connected", function () {
    var words = [WORDS.offline.change, WORDS.offline.look, WORDS.timeout.change, WORDS.timeout.look];
    if (shown && words.indexOf(shown.text) >= 0) clearMessage(true);
  });

  // A check-in's answer is only ever a tap on the scale. Enter in its word field would send the form
  // with its first button, "Awful" or "Blue": a pupil who types "happy" and presses Enter (Go on a
  // tablet's keyboard) would be recorded as awful and put on the follow-up list. At the class
  // station, on the pupil's check-in page and in a circle's check-in round alike.
  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key === "Enter" && !event.isComposing && field.form && field.type === "text"
        && field.form.querySelector("button.checkin-option[type=submit]")) {
      event.preventDefault();
    }
  });

  // A pupil search that finds as letters are typed (data-enter-searches: Log a chat, Start a conversation, a
  // peer mediation's "Who is here?", the Pupils list) finds once more on Enter, and only once: Enter would also
  // send the search's form by its Search or Find, there for when scripts are off (the page or the step loaded
  // afresh, or the record's whole form sent back once it is on the page, the focus leaving the search), and the
  // browser's own "search" event, which not every browser sends on Enter. Nor does Enter ask again while the
  // search for the very same letters, sent as they were typed, is still on its way (poor Wi-Fi): its answer
  // will show the matches, and a second would only queue behind it on the same slow connection.
  var searching = new WeakMap();  // a live search's letters, while its request is on its way

  document.addEventListener("htmx:beforeSend", function (event) {
    var field = event.detail.elt;
    if (field.matches && field.matches("[data-enter-searches]")) searching.set(field, field.value);
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    searching.delete(event.detail.elt);
  });

  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key === "Enter" && !event.isComposing && window.htmx && field.matches
        && field.matches("[data-enter-searches]")) {
      event.preventDefault();
      if (searching.get(field) !== field.value) window.htmx.trigger(field, "search", { cause: event });
    }
  });

  // Log a chat and Start a conversation: the pupil search's Search is the first button of the record's form
  // (templates/conversations/_picker.html), so that without scripts Enter searches and never removes a pupil.
  // Enter in one of the record's own text fields (a chat's note, an adult's name) still sends it, as before.
  document.addEventListener("keydown", function (event) {
    var field = event.target, form = field.form;
    var send = event.key === "Enter" && !event.isComposing && field.type === "text" && form
      && form.querySelector("[data-enter-sends]");
    if (send) {
      event.preventDefault();
      form.requestSubmit(send);
    }
  });

  // The question is the tapped button's own (one form, several actions), else the form's.
  document.addEventListener("submit", function (event) {
    var form = event.target, button = event.submitter;
    var asker = button && button.hasAttribute("data-confirm") ? button : form;
    var question = asker.getAttribute && asker.getAttribute("data-confirm");
    // event.rrpAsked: asked once only, here or by static/js/early-tap.js (the circle screens), whichever
    // listens first (that one loads async, so either may)
    if (!question || event.rrpAsked) return;
    event.rrpAsked = true;
    if (!window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    // said yes here: a route that asks on a page of its own a form that comes unasked (tapped before this
    // script had run) does not ask again (rrp_pwa/asking.py)
    var asked = form.elements.namedItem("asked");
    if (!asked) {
      asked = document.createElement("input");
      asked.type = "hidden";
      asked.name = "asked";
      form.appendChild(asked);
    }
    asked.value = "yes";
  }, true);

  // A form that must reach a person at once (a safeguarding concern, "Get an adult") is not sent
  // with no signal: the page load would fail and take what was typed with it. It says so, with
  // what to do instead (the form's data-offline-message), and keeps what was written on screen to
  // send once there is signal. Nothing is stored on the device.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var words = form.getAttribute && form.getAttribute("data-offline-message");
    if (words && navigator.onLine === false) {
      event.preventDefault();
      showMessage(words, { requestConfig: { triggeringEvent: event } });
    }
  }, true);

  // A page that comes after a form sent without htmx (Post/Redirect/Get, or a refused form shown again) is a new
  // page, and the focus would be at its top (<body>): on a phone, screens away from what the person has just done,
  // and nothing is read out. One rule for every such page: the first field to put right (what the form says
  // about it and the field's own error are its description, so both are read); a form's problem with no field
  // (a refusal of the form as a whole), its message; else the section the address names (#agree-h: a heading or
  // section with tabindex="-1", described by the message saying what was done), else, with no #place in the
  // address, that message (a flash).
  // An ordinary page load moves nothing: problems and flashes are only shown in answer to a form or an action,
  // and a #section in a link followed is where the browser puts the focus itself. Nor does this take the focus
  // from where a person has put it, nor (but for a problem) from a page's autofocus field. It runs once the
  // page has loaded too, as the browser focuses an address's #section after the page's scripts have run.
  // htmx swaps are not page loads: what they do with the focus is theirs (static/js/circle.js, the concern panel).
  // ``first`` (ids) read before what already describes ``element``
  function describedBy(element, first) {
    var had = (element.getAttribute("aria-describedby") || "").split(/\s+/);
    var ids = first.concat(had).filter(function (id, at, all) { return id && all.indexOf(id) === at; });
    if (ids.length) element.setAttribute("aria-describedby", ids.join(" "));
  }

  function idOf(element, name) {
    if (!element.id) element.id = name;
    return element.id;
  }

  function fragmentTarget() {
    var name = "";
    try { name = decodeURIComponent(location.hash.slice(1)); } catch (error) { return null; }
    var target = name && document.getElementById(name);
    // a section made to take the focus, a button (a follow-up's Done: the next one to tap) or a search box (the
    // mediators' "Type a first name", for the next person to find)
    return target && (target.getAttribute("tabindex") === "-1" || target.matches("button, input[type=search]"))
      ? target : null;
  }

  function shownOnScreen(element) { return element.getClientRects().length > 0; }

  // The first field with a problem: a control marked invalid, or the first one of an invalid group (a radio group:
  // its checked option), with the description its group gives it.
  function firstProblem(main) {
    var marked = Array.prototype.filter.call(
      main.querySelectorAll("[aria-invalid=true], .field-invalid"), shownOnScreen);
    for (var i = 0; i < marked.length; i++) {
      var box = marked[i];
      if (box.matches("input, select, textarea")) return { control: box, notes: [] };
      var controls = Array.prototype.filter.call(
        box.querySelectorAll("input:not([type=hidden]), select, textarea"), shownOnScreen);
      if (!controls.length) continue;
      var control = controls.filter(function (c) { return c.checked; })[0] || controls[0];
      var groupNotes = (box.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
      return { control: control, notes: control.getAttribute("aria-invalid") ? [] : groupNotes };
    }
    return null;
  }

  function placeAfterForm() {
    var main = document.getElementById("main");
    if (!main) return null;
    // the page's message: the flashes, or a region of its own saying what was just done (a follow-up's Done)
    var flash = document.getElementById("flashes") || Array.prototype.filter.call(
      main.querySelectorAll(".flashes[role=status]"), function (box) { return box.textContent.trim(); })[0] || null;
    var problem = firstProblem(main);
    if (problem) {
      var form = problem.control.form, summary = form && form.querySelector(".form-errors");
      var said = summary ? [idOf(summary, (form.id || "form") + "-problems")] : [];
      describedBy(problem.control, said.concat(problem.notes));
      return { place: problem.control, problem: true };
    }
    // (a form's problem says so: role=alert; a box that only looks like one, such as the roster check's warning of
    // pupils to be archived, is not a problem to put right)
    var message = Array.prototype.filter.call(main.querySelectorAll(".form-errors[role=alert]"), shownOnScreen)[0];
    if (message) {
      message.setAttribute("tabindex", "-1");
      return { place: message, problem: true };
    }
    var section = fragmentTarget();
    if (section) {
      if (flash) describedBy(section, [flash.id]);
      return { place: section };
    }
    if (flash && !location.hash) {  // an address's #row (a follow-up ticked off) is where the page was put
      flash.setAttribute("tabindex", "-1");
      return { place: flash };
    }
    return null;
  }

  var afterForm = placeAfterForm();

  function focusAfterForm() {
    if (!afterForm || !afterForm.place.isConnected) return;
    // a page that says where its focus goes (autofocus) is left to do so, but for a problem to put right
    if (!afterForm.problem && document.querySelector("[autofocus]")) return;
    var active = document.activeElement;
    var free = !active || active === document.body || active === fragmentTarget() ||
      (afterForm.problem && active.hasAttribute("autofocus"));
    if (free && active !== afterForm.place) afterForm.place.focus();
  }

  if (afterForm) {
    requestAnimationFrame(focusAfterForm);
    window.addEventListener("load", function () {
      focusAfterForm();
      afterForm = null;
    });
  }

  // A name typed into a live search before htmx was ready (a slow tablet, a page still loading) was
  // never searched for, as htmx only hears the typing that comes after it starts: once it is up,
  // search for whatever was typed meanwhile.
  if (window.htmx) {
    htmx.onLoad(function (root) {
      var inputs = root.querySelectorAll ? root.querySelectorAll("input[type=search][hx-get]") : [];
      Array.prototype.forEach.call(inputs, function (input) {
        if (input.value !== input.defaultValue) { htmx.trigger(input, "search"); }
      });
    });
  }
})();
