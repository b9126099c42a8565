// RRP offline forms: Record offline (templates/sync/capture.html) and Log a chat kept with no signal
// (templates/conversations/chat_new.html, data-outbox-fallback). Only those pages load this file, just before
// static/js/outbox.js, which keeps the outbox on every signed-in page (the badge, sending, sign-out) and starts
// this part with what the two share (window.rrpOutbox.forms, below). Here: finding pupils in the list kept on
// this device, making, changing and listing records, drafts, and Log a chat kept when it cannot be sent.
// No inline script (strict CSP): this file finds its page by data attributes.
(function () {
  "use strict";

  // What static/js/outbox.js shares with this part, given when it starts it (window.rrpOutbox.forms, below).
  var state, outbox, page, pageStaff, capturePage, signInMark, RECENT, DRAFT;
  var mine, setText, reload, send, refreshCapture, endedHere;
  var RECENT_MAX = 6;  // how many recently chosen pupils are offered first: as Log a chat (RECENT_PUPILS)
  // Listening starts when the outbox starts this part: until then there is no outbox to work with.
  var listeners = [];
  function on(target, type, listener) { listeners.push([target, type, listener]); }

  // Record offline lists every record waiting; Log a chat, in Your chats today, the chats (data-outbox-kind),
  // whose Change it, Send again and Discard are on Record offline (the header's badge leads there).
  function drawList(waiting) {
    var list = document.querySelector("[data-outbox-list]");
    if (!list) return;
    var kind = list.getAttribute("data-outbox-kind");
    var listed = waiting.filter(function (item) { return !kind || item.kind === kind; });
    var holder = list.closest("[data-outbox-unhides]");
    if (holder) holder.hidden = !listed.length;
    list.textContent = "";
    listed.forEach(function (item) {
      var row = document.createElement("li");
      row.className = "row" + (item.status === "rejected" ? " outbox-item-rejected" : "");
      var label = document.createElement("span");
      label.textContent = item.summary + " · " + (item.status === "rejected" ? "not accepted"
        : list.getAttribute("data-outbox-waiting") || "waiting");
      row.appendChild(label);
      if (item.status === "rejected") {
        var reason = document.createElement("span");
        reason.className = "outbox-reason";
        reason.textContent = item.reason || "The school's system did not accept this.";
        row.appendChild(reason);
        if (page) {
          var actions = document.createElement("span");
          actions.className = "outbox-actions";
          actions.appendChild(button("Change it", "edit", item));
          actions.appendChild(button("Send again", "retry", item));
          actions.appendChild(button("Discard", "discard", item));
          row.appendChild(actions);
        }
      }
      list.appendChild(row);
    });
  }

  function button(text, action, item) {
    var node = document.createElement("button");
    node.type = "button";
    node.className = "button" + (action === "discard" ? " danger" : "");
    node.textContent = text;
    node.setAttribute("aria-label", text + ": " + item.summary);
    node.setAttribute("data-outbox-action", action);
    node.setAttribute("data-uuid", item.uuid);
    return node;
  }

  var OUTCOMES = [{ value: "agreed", label: "Agreement made" },
                  { value: "no_agreement", label: "No agreement - passed to staff" },
                  { value: "adult_took_over", label: "An adult took over" }];

  // Chats and mediations may be about any pupil listed; a check-in only where the server says so
  // (a list stored before it said so was only ever of those).
  var offered = { "": function () { return true; }, mediators: function (p) { return p.mediator; },
                  checkin: function (p) { return p.checkin !== false; } };

  function fillPickers(data) {
    // the words a name is found by: the name shown (not the year group telling two apart). Only that name
    // is on the device: a pupil known by a preferred name is not found by the given name offline.
    state.owner = data.school_id + "/" + data.staff_id;
    state.pupils = data.pupils.map(function (p) {
      var words = p.name.replace(/ \([^()]*\)$/, "").toLowerCase().split(/\s+/);
      return { id: p.id, name: p.name, mediator: p.mediator, checkin: p.checkin, words: words.filter(Boolean) };
    });
    document.querySelectorAll("[data-picker]").forEach(function (picker) {
      var field = picker.querySelector("input[type=hidden]");
      if (field.value) choose(picker, listed(picker, field.value));  // one no longer listed: none
      else find(picker);  // letters typed before the list came
    });
    document.querySelectorAll("[data-checkin-none]").forEach(function (note) {
      note.hidden = data.pupils.some(offered.checkin);
    });
    document.querySelectorAll("[data-outcomes]").forEach(function (box) {
      radios(box, OUTCOMES);
      var first = box.querySelector("input");
      first.checked = first.defaultChecked = true;  // as the form starts: not something a draft keeps
    });
    document.querySelectorAll("[data-chips]").forEach(function (box) {
      var labels = (data.chips[box.getAttribute("data-chips")] || []).map(function (l) { return { value: l, label: l }; });
      var optional = box.getAttribute("data-optional");
      if (optional) labels.unshift({ value: "", label: optional });
      radios(box, labels);
    });
    document.querySelectorAll("[data-scale]").forEach(function (box) {
      radios(box, data.scale.options.map(function (o) { return { value: String(o.value), label: o.text }; }));
    });
    setText("[data-scale-question]", data.scale.question);
    setText("[data-pupils-message]", data.pupils.length ? "" : "There are no pupils to choose yet: ask an admin to add them.");
  }

  // Finding a pupil, as Log a chat does online (search_pupils in rrp_pwa/roster/directory.py): every word
  // typed, up to three, starts one of the pupil's names; at most PICK_MAX matches are drawn, as there.
  // They are drawn from the list kept on this device as letters are typed: nothing for 1,000 pupils at load.
  var PICK_MAX = 12;

  function part(picker, name) { return picker.querySelector("[data-pick-" + name + "]"); }

  function listed(picker, id) {
    var fits = offered[picker.getAttribute("data-picker")] || offered[""];
    return state.pupils.filter(function (p) { return p.id === Number(id) && fits(p); })[0] || null;
  }

  // What this device keeps in localStorage (RECENT, DRAFT) for the signed-in person in their school, in this
  // sign-in: what a tab wrote as another tab signed out is never offered to the next sign-in, even the same person's.
  function owned(key) {
    try {
      var kept = JSON.parse(window.localStorage.getItem(key));
      return state.owner && kept && kept.owner === state.owner && kept.signIn === signInMark ? kept : {};
    } catch (e) { return {}; }
  }

  function keepOwned(key, kept) {
    if (kept && endedHere()) return;
    try {
      if (kept) window.localStorage.setItem(key, JSON.stringify(Object.assign(kept, { owner: state.owner, signIn: signInMark })));
      else window.localStorage.removeItem(key);
    } catch (e) { /* private mode: not kept */ }
  }

  function recent() { return owned(RECENT).ids || []; }

  // offer: the search is in use, so with no letters typed yet the pupils recently recorded about are
  // offered (not those already chosen in this form); matches for letters typed list them first too.
  function find(picker, offer) {
    var text = part(picker, "find").value.trim(), list = part(picker, "list");
    var words = text.toLowerCase().split(/\s+/).filter(Boolean).slice(0, 3);
    var fits = offered[picker.getAttribute("data-picker")] || offered[""];
    var field = picker.querySelector("input[type=hidden]"), kept = !part(picker, "chosen").hidden && field.value;
    var taken = Array.prototype.map.call(picker.closest("form").querySelectorAll("[data-picker] input[type=hidden]"),
                                         function (f) { return Number(f.value); });
    var rank = recent(), at = function (p) { var i = rank.indexOf(p.id); return i < 0 ? RECENT_MAX : i; };
    var found = state.pupils.filter(function (p) {
      return fits(p) && (words.length ? words.every(function (w) {
        return p.words.some(function (n) { return n.lastIndexOf(w, 0) === 0; });
      }) : offer && at(p) < RECENT_MAX && taken.indexOf(p.id) < 0);
    }).sort(function (a, b) { return at(a) - at(b); });  // as Log a chat: the recently chosen first
    var noun = picker.getAttribute("data-picker") === "mediators" ? "mediator" : "pupil";
    list.textContent = "";
    found.slice(0, PICK_MAX).forEach(function (pupil) {
      var item = document.createElement("li"), pick = document.createElement("button");
      pick.type = "button";
      pick.className = "button pick";
      pick.textContent = pupil.name;
      pick.setAttribute("data-pick", pupil.id);
      item.appendChild(pick);
      list.appendChild(item);
    });
    part(picker, "status").textContent = !state.pupils.length ? ""
      : !words.length ? (kept ? pupilName(field) + " stays chosen until you choose another. " : "") +
        (found.length ? "Recently chosen: tap one, or type the first letters of a name." : "")
      : !found.length ? "No " + noun + "'s name starts with “" + text + "”."
      : found.length + " " + noun + (found.length === 1 ? " matches" : "s match") +
        (found.length > PICK_MAX ? ": the first " + PICK_MAX + " are shown, type more of the name." : ".");
  }

  // The choice is shown in place of the search, with Change (which opens the search again, the choice kept
  // until another is tapped; Keep or Escape closes it) and, where the pupil is optional, Remove.
  function choose(picker, pupil) {
    var field = picker.querySelector("input[type=hidden]"), shown = part(picker, "chosen");
    field.value = pupil ? String(pupil.id) : "";
    field.setAttribute("data-name", pupil ? pupil.name : "");
    shown.querySelector("span").textContent = pupil ? pupil.name : "";
    name(picker, "again", "Change");
    name(picker, "none", "Remove");
    shown.hidden = !pupil;
    part(picker, "find").hidden = !!pupil;
    part(picker, "find").value = "";
    find(picker);
  }

  function name(picker, button, verb) {
    var field = picker.querySelector("input[type=hidden]"), node = part(picker, button);
    if (!node) return;
    node.textContent = verb;
    node.setAttribute("aria-label", verb + " " + field.getAttribute("data-who") + (field.value ? ": " + pupilName(field) : ""));
  }

  // The pupil list gone from this device (too old): nobody stays chosen in any form.
  function emptyPickers() {
    state.pupils = [];
    document.querySelectorAll("[data-picker]").forEach(function (picker) { choose(picker, null); });
  }

  function keep(picker) { choose(picker, listed(picker, picker.querySelector("input[type=hidden]").value)); }

  // Where to put someone back in a form: a chosen pupil's Change, or the search to choose one.
  function spot(field) {
    var picker = field.type === "hidden" && field.closest("[data-picker]");
    return picker ? part(picker, field.value ? "again" : "find") : field;
  }

  ["input", "focusin"].forEach(function (type) {
    on(document, type, function (event) {
      var picker = event.target.matches && event.target.matches("[data-pick-find]") && event.target.closest("[data-picker]");
      if (picker) find(picker, true);
    });
  });

  on(document, "click", function (event) {
    var target = event.target.closest && event.target.closest("[data-pick], [data-pick-again], [data-pick-none]");
    var picker = target && target.closest("[data-picker]"), search = picker && part(picker, "find");
    if (!picker) return;
    if (target.hasAttribute("data-pick")) {
      choose(picker, listed(picker, target.getAttribute("data-pick")));
      delete picker.closest("form").dataset.emptiedAt;  // a new record under way
      keepDraft(picker.closest("form"));
    } else if (target.hasAttribute("data-pick-none")) {
      choose(picker, null);
      keepDraft(picker.closest("form"));
    } else if (search.hidden) {
      search.hidden = false;
      name(picker, "again", "Keep");
      return search.focus();
    } else {
      keep(picker);
    }
    spot(picker.querySelector("input[type=hidden]")).focus();
  });

  // Keys: Enter in the search never saves the form (it takes the only match, or goes to the matches);
  // the arrows go down and up the matches; Escape goes back to the search.
  on(document, "keydown", function (event) {
    var picker = event.target.closest && event.target.closest("[data-picker]");
    if (!picker || ["Enter", "ArrowDown", "ArrowUp", "Escape"].indexOf(event.key) < 0) return;
    var picks = Array.prototype.slice.call(picker.querySelectorAll("[data-pick]"));
    var at = picks.indexOf(event.target), search = part(picker, "find");
    var next = event.target === search ? (event.key === "Enter" || event.key === "ArrowDown" ? picks[0] : null)
      : event.key === "ArrowDown" ? picks[at + 1] : event.key === "ArrowUp" ? picks[at - 1] || search
      : event.key === "Escape" ? search : null;
    if (event.target === search && event.key === "Escape" && !part(picker, "chosen").hidden) {
      keep(picker);  // Change after all not wanted: the pupil chosen stays
      return part(picker, "again").focus();
    }
    if (event.target === search && event.key === "Enter") {
      event.preventDefault();
      if (picks.length === 1) return picks[0].click();
    }
    if (next) {
      event.preventDefault();
      next.focus();
    }
  });

  function radios(box, options) {
    var name = box.closest("form").getAttribute("data-offline") + "-" + box.getAttribute("data-name");
    var tapped = box.querySelector("input:checked");  // the page's own chips may be tapped before this runs
    var chosen = tapped && options.some(function (o) { return o.value === tapped.value; }) ? tapped.value : null;
    box.textContent = "";
    options.forEach(function (option, index) {
      var label = document.createElement("label");
      label.className = "chip";
      var input = document.createElement("input");
      input.type = "radio";
      input.name = name;
      input.value = option.value;
      if (chosen !== null ? option.value === chosen : option.value === "" && index === 0) input.checked = true;
      label.appendChild(input);
      label.appendChild(document.createTextNode(option.label));
      box.appendChild(label);
    });
  }

  function picked(form, name) {
    var input = form.querySelector("input[name='" + form.getAttribute("data-offline") + "-" + name + "']:checked");
    return input ? input.value : null;
  }

  function pupilName(field) { return field.getAttribute("data-name"); }

  // Making a record: it is in the outbox (and on screen) before any network is tried.
  var makers = {
    chat: function (form) {
      var first = form.querySelector("[name=pupil]"), second = form.querySelector("[name=pupil2]");
      var what = picked(form, "what"), where = picked(form, "where"), agreed = picked(form, "agreed");
      if (!first.value) return { error: "Choose a pupil.", focus: first };
      if (!what) return { error: "Choose what happened." };
      if (!where) return { error: "Choose where it happened." };
      var ids = [Number(first.value)];
      var names = [pupilName(first)];
      if (second.value && second.value !== first.value) {
        ids.push(Number(second.value));
        names.push(pupilName(second));
      }
      return { data: { pupil_ids: ids, what: what, where: where, agreed: agreed || null },
               summary: "Quick chat · " + names.join(" and ") + " · " + what + ", " + where };
    },
    mediation: function (form) {
      function field(name) { return form.querySelector("[name=" + name + "]"); }
      var mediator = field("mediator"), party1 = field("party1"), party2 = field("party2");
      var outcome = picked(form, "outcome") || "agreed", weeks = picked(form, "review_weeks");
      if (!mediator.value) return { error: "Choose the mediator.", focus: mediator };
      if (!party1.value || !party2.value || party1.value === party2.value) {
        return { error: "Choose the two pupils in the disagreement.", focus: party1.value ? party2 : party1 };
      }
      var agreements = {};
      agreements[party1.value] = field("agreed1").value.trim();
      agreements[party2.value] = field("agreed2").value.trim();
      if (outcome === "agreed" && (!agreements[party1.value] || !agreements[party2.value])) {
        return { error: "Write what each pupil agreed to do.", focus: agreements[party1.value] ? field("agreed2") : field("agreed1") };
      }
      var mediators = [Number(mediator.value)];
      if (field("mediator2").value && field("mediator2").value !== mediator.value) mediators.push(Number(field("mediator2").value));
      var data = { mediator_ids: mediators, party_ids: [Number(party1.value), Number(party2.value)],
                   agreements: outcome === "agreed" ? agreements : {}, place: field("place").value.trim() || null,
                   outcome: outcome };
      if (outcome === "agreed" && weeks) data.review_weeks = Number(weeks);  // "When will we check it is working?"
      return { data: data,
               summary: "Peer mediation · " + pupilName(party1) + " and " + pupilName(party2) };
    },
    checkin: function (form) {
      var pupil = form.querySelector("[name=pupil]"), value = picked(form, "value");
      var word = form.querySelector("[name=word]").value.trim();
      if (!pupil.value) return { error: "Choose a pupil.", focus: pupil };
      if (!value) return { error: "Choose how they are feeling." };
      var label = form.querySelector("input[name='checkin-value']:checked").parentNode.textContent;
      return { data: { pupil_id: Number(pupil.value), value: Number(value), word: word || null },
               summary: "Check-in · " + pupilName(pupil) + " · " + label.trim() };
    }
  };

  // Changing a record the server did not accept: its form gets what it held, the person fixes what
  // the reason says (another pupil, another chip), and saving it keeps its id, so it is still one record.
  var fillers = {
    chat: function (form, data) {
      setValue(form, "pupil", data.pupil_ids[0]);
      setValue(form, "pupil2", data.pupil_ids[1]);
      ["what", "where", "agreed"].forEach(function (name) { pick(form, name, data[name] || ""); });
    },
    checkin: function (form, data) {
      setValue(form, "pupil", data.pupil_id);
      pick(form, "value", String(data.value));
      setValue(form, "word", data.word);
    },
    mediation: function (form, data) {
      setValue(form, "mediator", data.mediator_ids[0]);
      setValue(form, "mediator2", data.mediator_ids[1]);
      setValue(form, "party1", data.party_ids[0]);
      setValue(form, "party2", data.party_ids[1]);
      setValue(form, "agreed1", (data.agreements || {})[data.party_ids[0]]);
      setValue(form, "agreed2", (data.agreements || {})[data.party_ids[1]]);
      setValue(form, "place", data.place);
      pick(form, "outcome", data.outcome);
      var usual = form.querySelector("[name='mediation-review_weeks'][checked]");  // an older item: the default
      pick(form, "review_weeks", String(data.review_weeks || (usual ? usual.value : "")));
    }
  };

  function setValue(form, name, value) {
    var field = form.querySelector("[name=" + name + "]"), picker = field && field.closest("[data-picker]");
    if (picker) choose(picker, listed(picker, value));  // a pupil no longer listed: none
    else if (field) field.value = value === undefined || value === null ? "" : String(value);
  }

  function pick(form, name, value) {
    var input = form.querySelector("input[name='" + form.getAttribute("data-offline") + "-" + name + "'][value='" +
                                   CSS.escape(value) + "']");
    if (input) input.checked = true;
  }

  function edit(item) {
    var form = document.querySelector("form[data-offline='" + item.kind + "']");
    if (!form) return;
    (navigator.onLine ? refreshCapture() : Promise.resolve()).then(function () {
      fillers[item.kind](form, item.data);
      form.dataset.editing = item.uuid;
      keepDraft(form);
      setText("[data-outbox-message]", "Change what the reason says, then save it again: " + item.summary + ".");
      var first = Array.prototype.filter.call(form.querySelectorAll("input, textarea, button"), function (node) {
        return node.type !== "hidden" && node.offsetParent !== null;
      })[0];
      form.scrollIntoView({ block: "start" });
      if (first) first.focus();
    });
  }

  // A double tap on Save (standing up, in a hurry) must not make two records: the form is emptied
  // the moment its record is made, and Save on the emptied form just after is taken as that tap.
  var DOUBLE_TAP_MS = 1500;

  function save(form) {
    if (endedHere()) return;  // its maker has signed out: nothing is added under them unseen
    var emptiedAt = Number(form.dataset.emptiedAt || 0);
    if (emptiedAt && Date.now() - emptiedAt < DOUBLE_TAP_MS) return;
    var kind = form.getAttribute("data-offline");
    var made = makers[kind](form);
    var error = form.querySelector("[data-form-error]");
    if (made.error) {
      error.textContent = made.error;
      if (made.focus) spot(made.focus).focus();
      return;
    }
    error.textContent = "";
    var changed = state.items.filter(function (i) { return i.uuid === form.dataset.editing && mine(i); })[0];
    var now = new Date().toISOString();
    var item = { uuid: changed ? changed.uuid : crypto.randomUUID(), kind: kind,
                 made_at: changed && changed.made_at < now ? changed.made_at : now,  // a clock that ran ahead: now
                 data: made.data, staffId: state.staffId, status: "waiting", reason: null, summary: made.summary };
    var chosen = Array.prototype.map.call(form.querySelectorAll("[data-picker] input[type=hidden]"), function (f) {
      return Number(f.value);
    }).filter(Boolean);
    delete form.dataset.editing;
    empty(form);
    outbox.put(item).then(function () {
      keepOwned(RECENT, { ids: chosen.concat(recent().filter(function (id) { return chosen.indexOf(id) < 0; }))
        .slice(0, RECENT_MAX) });
      setText("[data-outbox-message]", "Saved on this device: " + item.summary + ".");
      return reload().then(function () {
        askForBackgroundSync();
        send();
      });
    }, function () {  // the device's storage refused it (full, private mode): what was chosen comes back
      delete form.dataset.emptiedAt;
      fillers[kind](form, item.data);
      if (changed) form.dataset.editing = changed.uuid;
      keepDraft(form);
      error.textContent = "This device could not save it. Try Save again.";
    });
  }

  function empty(form) {
    form.reset();
    form.querySelectorAll("[data-chips][data-optional] input, [data-outcomes] input").forEach(function (input, i) {
      input.checked = i === 0;
    });
    form.querySelectorAll("[data-picker]").forEach(function (picker) { choose(picker, null); });
    form.dataset.emptiedAt = String(Date.now());
    note(form).hidden = true;
    keepDraft(form);
  }

  // What differs from the emptied form (radios as it starts are not kept) and the refused record it
  // changes; not until the draft kept before is back in the form.
  function keepDraft(form) {
    if (!state.draftsShown) form.dataset.touched = "1";  // used before the draft is back: showDrafts leaves it
    if (!state.draftsShown || !state.pupils.length) return;
    var fields = Array.prototype.filter.call(form.elements, function (field) {
      return field.name && field.value && (field.type !== "radio" || field.checked && !field.defaultChecked);
    }).map(function (field) { return [field.name, field.value]; });
    var forms = owned(DRAFT).forms || {};
    forms[form.getAttribute("data-offline")] = fields.length ? { fields: fields, editing: form.dataset.editing } : undefined;
    keepOwned(DRAFT, JSON.stringify(forms) === "{}" ? null : { forms: forms });
  }

  function note(form) { return form.querySelector("[data-draft-note]"); }

  // Record offline opened again: each record started and not saved is back in its form, with a note.
  // A form used while the pupil list was on its way (poor Wi-Fi) keeps what was just done in it, not the draft;
  // a chip the school has taken away since is left out (never written into another chip).
  function showDrafts() {
    var forms = owned(DRAFT).forms || {};
    document.querySelectorAll("form[data-offline]").forEach(function (form) {
      var draft = forms[form.getAttribute("data-offline")];
      if (!draft || form.dataset.touched) return;
      draft.fields.forEach(function (kept) {
        var name = "[name='" + kept[0] + "']";
        if (!form.querySelector("input[type=radio]" + name)) setValue(form, kept[0], kept[1]);
        else {
          var chip = form.querySelector("input[type=radio]" + name + "[value='" + CSS.escape(kept[1]) + "']");
          if (chip) chip.checked = true;
        }
      });
      if (state.items.some(function (i) { return i.uuid === draft.editing && mine(i); })) form.dataset.editing = draft.editing;
      note(form).hidden = false;
    });
    state.draftsShown = true;
    document.querySelectorAll("form[data-offline]").forEach(keepDraft);
  }

  // Log a chat (the online form, sent by htmx) saved with no signal, or with Wi-Fi that takes the
  // request and never answers (8 s: hx-request on the form): rather than the browser's error page and a
  // lost chat, it goes into the outbox under the form's own id and is sent like any record made
  // offline. If the server did get it, that send is answered "duplicate", so it is still one chat.
  function keepChat(form, cause, noAnswer) {
    if (endedHere() || doubleTap(form)) return;
    var fields = new FormData(form);
    var pupils = Array.prototype.map.call(form.querySelectorAll("input[name=pupil_id]"), function (input) {
      return { id: Number(input.value), name: input.getAttribute("data-name") };
    });
    var what = fields.get("what"), where = fields.get("where");
    var tell = function (text) { document.dispatchEvent(new CustomEvent("rrp:tell", { detail: { cause: cause, text: text } })); };
    var missing = [[!pupils.length, "the pupil"], [!what, "what happened"], [!where, "where"]]
      .filter(function (gap) { return gap[0]; }).map(function (gap) { return gap[1]; });
    if (missing.length) {  // only what is missing: a chip tapped is not asked for again
      tell("Not saved: choose " + (missing.length > 1 ? missing.slice(0, -1).join(", ") + " and " : "") +
           missing[missing.length - 1] + ".");
      return;
    }
    var summary = "Quick chat · " + pupils.map(function (p) { return p.name; }).join(" and ") + " · " + what + ", " + where;
    var item = { uuid: fields.get("client_uuid") || crypto.randomUUID(), kind: "chat", made_at: new Date().toISOString(),
                 data: { pupil_ids: pupils.map(function (p) { return p.id; }), what: what, where: where,
                         agreed: fields.get("agreed") || null, note: String(fields.get("note") || "").trim() || null },
                 staffId: state.staffId !== null ? state.staffId : pageStaff, status: "waiting", reason: null,
                 summary: summary };
    outbox.put(item).then(function () {
      readyForNextChat(form);
      var saved = document.createElement("p"), next = document.createElement("p"), link = document.createElement("a");
      saved.textContent = noAnswer ? "No answer: the connection is too slow, so this chat is saved on this device: " +
        summary + ". It sends itself when the signal is back."
        : "No signal, so this chat is saved on this device: " + summary + ". It sends itself when you're back online.";
      link.href = noSignalWay();
      link.textContent = "Log another chat";
      next.appendChild(link);
      next.appendChild(document.createTextNode(" in Record offline, which finds pupils on this phone."));
      document.dispatchEvent(new CustomEvent("rrp:tell", { detail: { cause: cause, nodes: [saved, next], kept: true } }));
      askForBackgroundSync();
      return reload().then(function () { return send(); });
    }, function () {
      tell("Not saved: there is no signal and this device could not keep it. Try again when you have signal.");
    });
  }

  // Log a chat kept on this device leaves the screen ready for the next chat, as a save with signal does: nobody
  // chosen, no chip tapped, no note, at the top of the page, and a new id (the chat kept has its own, so sent twice it
  // is still one chat). Its address no longer names the pupil, so opened again it is the empty form too. A pick or a
  // search still on its way is not waited for: answered late, it would bring this chat's pupils back.
  function readyForNextChat(form) {
    var picker = document.querySelector("[data-pupil-picker]");
    var removed = Array.prototype.slice.call(form.querySelectorAll("input[name=pupil_id]"));
    if (picker) {
      if (window.htmx) {
        picker.querySelectorAll("[hx-get], [hx-post]").forEach(function (asking) { window.htmx.trigger(asking, "htmx:abort"); });
      }
      removed = removed.concat(Array.prototype.slice.call(picker.querySelectorAll("input[name=pupil_id], [data-chosen-pupils]")));
      var label = picker.querySelector("[data-none-chosen]");
      if (label) label.textContent = label.getAttribute("data-none-chosen");
      picker.querySelectorAll("input[type=search]").forEach(function (search) { search.value = ""; });
      picker.querySelectorAll("details").forEach(function (folded) { folded.open = true; });  // Recently chosen
    }
    removed.forEach(function (node) { node.remove(); });
    form.querySelectorAll("input[type=radio]").forEach(function (chip) { chip.checked = false; });
    form.querySelectorAll("textarea, input[type=text]").forEach(function (field) { field.value = ""; });
    form.querySelectorAll("details").forEach(function (optional) { optional.open = false; });
    form.querySelector("[name=client_uuid]").value = crypto.randomUUID();
    form.dataset.emptiedAt = String(Date.now());
    history.replaceState(history.state, "", form.action);
    window.scrollTo(0, 0);
  }

  // Save tapped again at once on the form just emptied: that tap, not a chat without a pupil.
  function doubleTap(form) {
    var emptiedAt = Number(form.dataset.emptiedAt || 0);
    return emptiedAt && Date.now() - emptiedAt < DOUBLE_TAP_MS;
  }

  // Where a chat is made with no signal: Record offline, as the page's pupil search says.
  function noSignalWay() {
    var holder = document.querySelector("[data-pupil-picker][data-no-signal]");
    return holder ? holder.getAttribute("data-no-signal") : capturePage;
  }

  function chatForm(event) {
    var form = event.detail && event.detail.elt;
    return form && form.matches && form.matches("[data-outbox-fallback]") ? form : null;
  }

  function cause(event) { return event.detail.requestConfig && event.detail.requestConfig.triggeringEvent; }

  on(document, "htmx:beforeRequest", function (event) {
    var form = chatForm(event);
    if (form && doubleTap(form)) event.preventDefault();
    else if (form && !navigator.onLine) {  // known to be offline: not even tried
      event.preventDefault();
      keepChat(form, cause(event), false);
    }
  });
  ["htmx:sendError", "htmx:timeout", "htmx:responseError"].forEach(function (type) {
    on(document, type, function (event) {
      var form = chatForm(event);
      // a 5xx is a proxy or a server that could not answer; a 4xx is an answer, shown by app.js
      if (form && (type !== "htmx:responseError" || event.detail.xhr.status >= 500)) {
        keepChat(form, cause(event), navigator.onLine);
      }
    });
  });

  function askForBackgroundSync() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.sync) return registration.sync.register("rrp-outbox");
      return null;
    }).catch(function () { /* the page sends by itself as well */ });
  }

  function act(action, uuid) {
    if (endedHere()) return;
    var item = state.items.filter(function (i) { return i.uuid === uuid; })[0];
    if (!item) return;
    if (action === "edit") {
      edit(item);
      return;
    }
    if (action === "discard") {
      if (!window.confirm("Discard “" + item.summary + "”? It has not been saved on the school's system.")) return;
      outbox.remove(uuid).then(reload);
      return;
    }
    item.status = "waiting";
    item.reason = null;
    outbox.put(item).then(reload).then(function () { return send(); });
  }

  // A choice made in an emptied form is a new record under way: its Save is never a double tap.
  ["change", "input"].forEach(function (type) {
    on(document, type, function (event) {
      var form = event.target.closest && event.target.closest("form[data-offline]");
      if (form) {
        delete form.dataset.emptiedAt;
        keepDraft(form);
      }
    });
  });

  // Saving: a record made on Record offline, and Log a chat with no signal when htmx has not taken it.
  on(document, "submit", function (event) {
    var form = event.target;
    if (form.matches && form.matches("[data-offline]")) {
      event.preventDefault();
      save(form);
      return;
    }
    if (form.matches && form.matches("[data-outbox-fallback]") && !navigator.onLine && !event.defaultPrevented) {
      event.preventDefault();  // htmx has not taken it (not loaded): kept here instead
      keepChat(form, event, false);
    }
  });

  on(document, "click", function (event) {
    var target = event.target.closest && event.target.closest("[data-sync-now], [data-outbox-action], [data-draft-again]");
    if (!target) return;
    if (target.hasAttribute("data-draft-again")) {
      var form = target.closest("form");
      if (!window.confirm("Start this " + note(form).getAttribute("data-draft-note") +
                          " again? What you filled in is emptied.")) return;
      delete form.dataset.editing;
      empty(form);
      return part(form, "find").focus();
    }
    if (target.hasAttribute("data-sync-now")) {
      state.failures = 0;
      var mineNow = state.items.filter(mine);
      var sendable = mineNow.filter(function (item) { return item.status === "waiting"; }).length;
      var refused = mineNow.length - sendable;
      // "Sending…" only while something is sent (or already on its way): its answer replaces it.
      setText("[data-outbox-message]", !navigator.onLine ? "You're offline. It will send when you're back."
        : sendable || state.sending ? "Sending…"
        : refused ? refused + " not accepted: see the reason beside each."
        : "Nothing is waiting to send.");
      send();
    } else {
      act(target.getAttribute("data-outbox-action"), target.getAttribute("data-uuid"));
    }
  });

  // Started by static/js/outbox.js with what they share; it is told, in return, how to draw on this page's forms.
  window.rrpOutbox.forms = function (shared) {
    state = shared.state; outbox = shared.outbox; page = shared.page; pageStaff = shared.pageStaff;
    capturePage = shared.capturePage; signInMark = shared.signInMark; RECENT = shared.keys.recent; DRAFT = shared.keys.draft;
    mine = shared.mine; setText = shared.setText; reload = shared.reload; send = shared.send;
    refreshCapture = shared.refreshCapture; endedHere = shared.endedHere;
    listeners.forEach(function (listener) { listener[0].addEventListener(listener[1], listener[2]); });
    return { pupilsLoaded: fillPickers, pupilsExpired: emptyPickers, drawList: drawList, showDrafts: showDrafts };
  };
})();
