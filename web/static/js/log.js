// The week page: autosave with a visible state, conflict choice, quick durations, phrases,
// suggestions and saving on leave. Event delegation only, so it survives htmx page swaps.
(function () {
  "use strict";

  function setState(form, text, kind) {
    const state = form.querySelector(".save-state");
    if (!state) return;
    state.textContent = text;
    state.dataset.kind = kind;
  }

  // --- autosave (hx-trigger "input delay:800ms" on forms marked data-autosave) ----------------
  document.addEventListener("input", function (event) {
    const form = event.target.closest("form[data-autosave]");
    if (form) {
      form.dataset.dirty = "1";
      setState(form, "nicht gespeichert …", "pending");
    }
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    const form = event.detail.elt.closest && event.detail.elt.closest("form[data-autosave]");
    if (form && event.detail.elt === form) setState(form, "speichert …", "saving");
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    const form = event.detail.elt;
    if (!form.matches || !form.matches("form[data-autosave]")) return;
    const status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status >= 200 && status < 300) {
      delete form.dataset.dirty;
    } else if (status === 0 || status >= 500) {
      // The typed text stays in the field; offer to try again.
      const state = form.querySelector(".save-state");
      if (state) {
        state.dataset.kind = "error";
        state.textContent = "nicht gespeichert – ";
        const retry = document.createElement("button");
        retry.type = "button";
        retry.className = "link-button";
        retry.textContent = "erneut versuchen";
        retry.addEventListener("click", function () { htmx.trigger(form, "keep-mine"); });
        state.appendChild(retry);
      }
    }
  });

  // Leaving the page (or the app going to the background) saves what is still unsaved. Offline a
  // beacon would be lost: there every keystroke already went into the outbox (below).
  function flush() {
    if (navigator.onLine === false) return;
    document.querySelectorAll("form[data-autosave][data-dirty]").forEach(function (form) {
      if (navigator.sendBeacon(form.action, new FormData(form))) delete form.dataset.dirty;
    });
  }
  window.addEventListener("pagehide", flush);
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") flush(); });
  document.addEventListener("htmx:beforeHistorySave", flush);

  // --- choices after a conflict -----------------------------------------------------------
  document.addEventListener("click", function (event) {
    const keep = event.target.closest("[data-keep-mine]");
    if (keep) {
      const form = document.getElementById(keep.dataset.keepMine);
      form.querySelector("input[name=version]").value = keep.dataset.version;
      htmx.trigger(form, "keep-mine");
      return;
    }
    const quick = event.target.closest("[data-duration]");
    if (quick) {
      const input = document.getElementById(quick.dataset.target);
      input.value = quick.dataset.duration;
      input.dispatchEvent(new Event("input", { bubbles: true }));
      input.focus();
      return;
    }
    const suggestion = event.target.closest("[data-fill]");
    if (suggestion) {
      const textarea = document.getElementById(suggestion.dataset.fill);
      textarea.value = suggestion.textContent;
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
      suggestion.closest(".suggestions").textContent = "";
      textarea.focus();
    }
  });

  // --- status selects submit on change; phrases are inserted where the cursor is -----------
  document.addEventListener("change", function (event) {
    const select = event.target;
    if (select.matches("select[data-autosubmit]")) {
      select.form.requestSubmit();
    } else if (select.matches("select[data-insert]") && select.value) {
      const textarea = document.getElementById(select.dataset.insert);
      const at = textarea.selectionStart || textarea.value.length;
      const glue = at > 0 && !/\s$/.test(textarea.value.slice(0, at)) ? " " : "";
      textarea.value = textarea.value.slice(0, at) + glue + select.value + textarea.value.slice(at);
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
      select.value = "";
      textarea.focus();
    }
  });

  // --- suggestions from the apprentice's own earlier entries -------------------------------
  let timer = null;
  document.addEventListener("input", function (event) {
    const textarea = event.target;
    if (!textarea.matches("textarea[data-suggest]")) return;
    clearTimeout(timer);
    timer = setTimeout(function () {
      const words = textarea.value.trim();
      const target = document.getElementById(textarea.dataset.suggest);
      if (!target) return;
      if (words.length < 3) { target.textContent = ""; return; }
      if (navigator.onLine === false) return; // suggestions come from the server
      // htmx.ajax rejects (with nothing) when the request fails: no suggestions then, no error.
      htmx.ajax("GET", "/log/suggestions?text=" + encodeURIComponent(words) + "&ziel=" + encodeURIComponent(textarea.id),
        { target: target, swap: "innerHTML" }).catch(function () {});
    }, 300);
  });

  // --- offline writing ----------------------------------------------------------------------
  // Without a connection, new entries and changes go into the outbox (outbox.js, IndexedDB) and
  // show "offline gespeichert"; pwa.js sends them when the connection returns, and the page shows
  // what came of it: sent, a conflict (through the same conflict view as online), or refused.
  const OFFLINE_FORMS = "form[data-autosave], form.entry-new";
  const WEEK_PATH = /\/contracts\/(\d+)\/log\/(\d{4}-\d{2}-\d{2})/;

  function outbox() { return window.LeokopOutbox; }

  function csrf() { return window.LeokopPwa ? window.LeokopPwa.cookie("leokop_csrf") : ""; }

  function me() { return (document.getElementById("main") || { dataset: {} }).dataset.user || ""; }

  function value(form, name) {
    const field = form.elements.namedItem(name);
    return field ? field.value : "";
  }

  function hours(minutes) {
    return Math.floor(minutes / 60) + ":" + String(minutes % 60).padStart(2, "0");
  }

  // What the form holds, as the JSON API wants it; `problem` when the server would refuse it anyway.
  function changeOf(form) {
    const place = WEEK_PATH.exec(new URL(form.action, window.location.href).pathname);
    const entry = /^entry-(\d+)$/.exec(form.id);
    const minutes = outbox().parseDuration(value(form, "duration"));
    const change = {
      owner: me(),
      contract: place ? Number(place[1]) : null,
      monday: place ? place[2] : null,
      entry: entry ? Number(entry[1]) : null,
      version: Number(value(form, "version")) || null,
      day: value(form, "day") || null,
      category: value(form, "category"),
      text: value(form, "text"),
      minutes: minutes,
      csrf: csrf(),
    };
    if (!change.text.trim()) change.problem = "Bitte beschreiben Sie, was Sie gemacht haben.";
    else if (minutes === null) change.problem = "Bitte die Dauer als Stunden eingeben, z. B. 1:30, 2 oder 0,5.";
    else if (minutes <= 0) change.problem = "Die Dauer muss größer als 0 sein.";
    else if (minutes > 720) change.problem = "Ein Eintrag darf höchstens 12 Stunden dauern.";
    return change;
  }

  function formNote(form, text, kind) {
    let note = form.querySelector(".offline-note");
    if (!note) {
      note = document.createElement("p");
      note.className = "save-state offline-note";
      note.setAttribute("aria-live", "polite");
      form.querySelector(".actions").before(note);
    }
    note.textContent = text;
    note.dataset.kind = kind;
  }

  function keepOffline(form, quiet) {
    if (!outbox()) return;
    const change = changeOf(form);
    if (change.contract === null) return;
    const isNew = form.matches(".entry-new");
    if (change.problem) {
      if (quiet) return;
      if (isNew) formNote(form, "nicht gespeichert – " + change.problem, "error");
      else setState(form, "nicht gespeichert – " + change.problem, "error");
      return;
    }
    if (isNew) change.client_id = form.dataset.clientId;
    (isNew ? outbox().queueAdd(change) : outbox().queueEdit(change)).then(function () {
      if (isNew) {
        form.elements.namedItem("text").value = "";
        delete form.dataset.clientId;
        dropDraft(form); // the outbox holds it now
        formNote(form, "Eintrag offline gespeichert (siehe oben).", "offline");
      } else {
        delete form.dataset.dirty;
        setState(form, "offline gespeichert", "offline");
      }
      document.dispatchEvent(new CustomEvent("leokop:queued"));
      renderOutbox();
    }, function () {
      // IndexedDB refused (private mode, full disk): the text stays in the field.
      (isNew ? formNote : setState)(form, "nicht gespeichert – keine Verbindung. Der Text steht weiter im Feld.", "error");
    });
  }

  // A new entry carries a client id from the start: when the answer is lost on the way, the same
  // add from the outbox is not stored twice.
  document.addEventListener("htmx:configRequest", function (event) {
    const form = event.detail.elt;
    if (!form.matches || !form.matches("form.entry-new") || !outbox()) return;
    if (!form.dataset.clientId) form.dataset.clientId = outbox().newClientId();
    event.detail.parameters.client_id = form.dataset.clientId;
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    const form = event.detail.elt;
    if (navigator.onLine !== false || !outbox() || !form.matches || !form.matches(OFFLINE_FORMS)) return;
    event.preventDefault();
    keepOffline(form, false);
  });
  document.addEventListener("htmx:sendError", function (event) {
    const form = event.detail.elt;
    if (form.matches && form.matches(OFFLINE_FORMS)) keepOffline(form, false);
  });
  // Offline, every keystroke is kept at once: closing the tab loses nothing.
  document.addEventListener("input", function (event) {
    const form = navigator.onLine === false && event.target.closest("form[data-autosave]");
    if (form) keepOffline(form, true);
  });
  // A change saved online (also "Meine Fassung behalten") makes the waiting one obsolete.
  document.addEventListener("htmx:afterRequest", function (event) {
    const form = event.detail.elt;
    const status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (!outbox() || !form.matches || !form.matches("form[data-autosave]") || status < 200 || status >= 300) return;
    dropEdits(Number(form.id.replace("entry-", "")));
  });

  function dropEdits(entryId) {
    return outbox().all().then(function (items) {
      return Promise.all(items.filter(function (item) { return item.kind === "edit" && item.entry === entryId; })
        .map(function (item) { return outbox().remove(item.key); }));
    });
  }

  // --- what the outbox holds, on the week page --------------------------------------------------
  function thisWeek() {
    const place = WEEK_PATH.exec(window.location.pathname);
    return place && document.querySelector("form.entry-new, form[data-autosave]") ? { contract: Number(place[1]), monday: place[2] } : null;
  }

  function categoryLabel(code) {
    const option = document.querySelector('select[name=category] option[value="' + code + '"]');
    return option ? option.textContent : code;
  }

  function button(label, action, key) {
    const element = document.createElement("button");
    element.type = "button";
    element.className = "button button-quiet";
    element.textContent = label;
    element.dataset.outboxAction = action;
    element.dataset.outboxKey = key;
    return element;
  }

  const STATE_TEXT = {
    pending: "offline gespeichert – wird gesendet, sobald wieder eine Verbindung besteht",
    failed: "nicht gespeichert – ",
    gone: "nicht gespeichert – dieser Eintrag wurde inzwischen auf einem anderen Gerät gelöscht. Ihr Text:",
    sent: "gesendet – erscheint nach dem Neuladen",
  };

  function card(item, state) {
    const box = document.createElement("div");
    box.className = "entry entry-offline";
    box.dataset.outboxItem = item.key;
    const meta = document.createElement("p");
    meta.className = "meta";
    meta.textContent = categoryLabel(item.category) + " · " + hours(item.minutes) + " h";
    const text = document.createElement("p");
    text.className = "entry-offline-text";
    text.textContent = item.text;
    const note = document.createElement("p");
    note.className = "save-state";
    note.setAttribute("aria-live", "polite");
    note.dataset.kind = state === "pending" ? "offline" : state === "sent" ? "saved" : "error";
    note.textContent = STATE_TEXT[state] + (state === "failed" ? item.error || "" : "");
    box.append(note, meta, text);
    const actions = document.createElement("p");
    actions.className = "actions";
    if (state === "failed" && item.kind === "add") actions.append(button("Ins Formular übernehmen", "edit", item.key));
    if (state === "gone") actions.append(button("Als neuen Eintrag speichern", "readd", item.key));
    if (state === "sent") {
      const reload = document.createElement("a");
      reload.href = window.location.pathname;
      reload.textContent = "Neu laden";
      actions.append(reload);
    } else if (state !== "pending") {
      actions.append(button("Verwerfen", "discard", item.key));
    }
    if (actions.childNodes.length) box.append(actions);
    return box;
  }

  function containerFor(item) {
    const day = item.day && document.querySelector("#day-" + item.day + " .entries");
    return day || document.querySelector("#week-entries .entries") || document.querySelector("#main");
  }

  // The stored entry with our text in its form, sent with the version we started from: the server
  // answers with its conflict view, exactly as for a change made online.
  function showConflict(form, item) {
    if (form.dataset.conflictShown === String(item.key)) return;
    form.dataset.conflictShown = item.key;
    form.elements.namedItem("category").value = item.category;
    form.elements.namedItem("duration").value = hours(item.minutes);
    form.elements.namedItem("text").value = item.text;
    form.elements.namedItem("version").value = item.version;
    htmx.trigger(form, "keep-mine");
  }

  function renderOutbox(sent) {
    const week = thisWeek();
    if (!week || !outbox()) return Promise.resolve();
    return outbox().all().then(function (items) {
      document.querySelectorAll("[data-outbox-item]").forEach(function (element) { element.remove(); });
      items.filter(outbox().ownedBy(me())).filter(function (item) { return item.contract === week.contract && item.monday === week.monday; }).forEach(function (item) {
        const form = item.kind === "edit" && document.getElementById("entry-" + item.entry);
        if (form && item.state === "conflict") showConflict(form, item);
        else if (form && item.state === "pending") setState(form, "offline gespeichert", "offline");
        else if (item.kind === "add" || item.state !== "pending") containerFor(item).append(card(item, item.kind === "edit" && item.state === "conflict" ? "gone" : item.state));
      });
      (sent || []).forEach(function (done) {
        const form = done.item.kind === "edit" && document.getElementById("entry-" + done.item.entry);
        if (form) {
          form.elements.namedItem("version").value = done.entry.version;
          if (form.elements.namedItem("text").value === done.item.text || !form.dataset.dirty) {
            form.elements.namedItem("text").value = done.entry.text;
            setState(form, "gespeichert", "saved");
          }
        } else if (done.item.kind === "add" && done.item.contract === week.contract && done.item.monday === week.monday) {
          containerFor(done.item).append(card(done.item, "sent"));
        }
      });
    }).catch(function () { /* the page is going away, or no IndexedDB: nothing to show */ });
  }

  // After new entries were sent, show them as real entries, unless someone is typing right now.
  function refreshWeek() {
    const active = document.activeElement;
    const typing = document.querySelector("form[data-autosave][data-dirty]") ||
      Array.from(document.querySelectorAll("form.entry-new textarea")).some(function (area) { return area.value.trim(); }) ||
      (active && active.matches("input, textarea, select") && active.closest("form[data-autosave]"));
    if (typing) return;
    // The whole page (as a boosted request gets it), of which only <main> is swapped in.
    htmx.ajax("GET", window.location.pathname + window.location.search, {
      target: "#main", select: "#main", swap: "outerHTML", headers: { "HX-Boosted": "true" },
    }).catch(function () { /* offline again: the page stays as it is */ });
  }

  document.addEventListener("leokop:outbox", function (event) {
    const sent = (event.detail && event.detail.sent) || [];
    renderOutbox(sent).then(function () {
      const week = thisWeek();
      if (week && sent.some(function (done) { return done.item.kind === "add" && done.item.contract === week.contract && done.item.monday === week.monday; })) refreshWeek();
    });
  });
  // A new page (or the week swapped in again) gets the waiting changes shown; a save state does not.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.boosted || (event.detail.target && event.detail.target.id === "main")) renderOutbox();
  });

  document.addEventListener("click", function (event) {
    const target = event.target.closest("[data-outbox-action]");
    if (target) {
      const key = Number(target.dataset.outboxKey);
      outbox().all().then(function (items) {
        const item = items.find(function (candidate) { return candidate.key === key; });
        if (!item) return;
        const action = target.dataset.outboxAction;
        if (action === "discard") return outbox().remove(key);
        if (action === "readd") {
          return outbox().remove(key).then(function () {
            return outbox().queueAdd({ owner: me(), contract: item.contract, monday: item.monday, day: item.day, category: item.category, text: item.text, minutes: item.minutes, csrf: csrf() });
          }).then(function () { document.dispatchEvent(new CustomEvent("leokop:queued")); return window.LeokopPwa && window.LeokopPwa.replay(); });
        }
        // "Ins Formular übernehmen": back into the day's form, where the server's message shows.
        const form = document.getElementById("new-" + (item.day || "week"));
        if (!form) return;
        form.elements.namedItem("category").value = item.category;
        form.elements.namedItem("duration").value = hours(item.minutes);
        form.elements.namedItem("text").value = item.text;
        const details = form.closest("details");
        if (details) details.open = true;
        form.elements.namedItem("text").focus();
        return saveDraft(form).then(function () { return outbox().remove(key); });
      }).then(function () { renderOutbox(); });
      return;
    }
    // "Andere Fassung übernehmen" after a conflict: the waiting change is settled.
    const theirs = event.target.closest(".conflict [hx-get]");
    const form = theirs && theirs.closest("form[data-autosave]");
    if (form && outbox()) dropEdits(Number(form.id.replace("entry-", "")));
  });

  renderOutbox();

  // --- drafts of new entries ----------------------------------------------------------------------
  // What is typed into an "Eintrag hinzufügen" form stays in IndexedDB (outbox.js, store "drafts")
  // until it is saved or the outbox takes it: a closed tab, an app the phone killed or a wrong tap
  // loses nothing, online or offline. One draft per user and form; logout deletes them (pwa.js).
  const DRAFT_FIELDS = ["category", "duration", "text"];
  const draftTimers = new Map();

  function drafts() { return outbox() && outbox().drafts; }

  function draftKey(form) {
    return form.dataset.draftOwner + " " + new URL(form.action, window.location.href).pathname + " " + form.id;
  }

  function initialValue(field) {
    if (field.tagName !== "SELECT") return field.defaultValue;
    const option = Array.from(field.options).find(function (candidate) { return candidate.defaultSelected; }) || field.options[0];
    return option ? option.value : "";
  }

  // The fields as the form holds them now; null when they are what the page came with.
  function draftFields(form) {
    const fields = {};
    let changed = false;
    DRAFT_FIELDS.forEach(function (name) {
      const field = form.elements.namedItem(name);
      if (!field) return;
      fields[name] = field.value;
      if (field.value !== initialValue(field)) changed = true;
    });
    return changed ? fields : null;
  }

  function saveDraft(form) {
    clearTimeout(draftTimers.get(form));
    draftTimers.delete(form);
    if (!drafts() || !form.dataset.draftOwner) return Promise.resolve();
    const fields = draftFields(form);
    const key = draftKey(form);
    const done = fields ? drafts().put({ key: key, owner: form.dataset.draftOwner, fields: fields, saved: Date.now() }) : drafts().remove(key);
    return done.catch(function () { /* no IndexedDB (private mode, full disk): the text stays in the field */ });
  }

  function dropDraft(form) {
    clearTimeout(draftTimers.get(form));
    draftTimers.delete(form);
    const note = form.querySelector(".draft-note");
    if (note) note.remove();
    if (!drafts() || !form.dataset.draftOwner) return Promise.resolve();
    return drafts().remove(draftKey(form)).catch(function () {});
  }

  function saveAllDrafts() { draftTimers.forEach(function (timer, form) { saveDraft(form); }); }

  document.addEventListener("input", function (event) {
    const form = event.target.closest("form.entry-new[data-draft-owner]");
    if (!form) return;
    clearTimeout(draftTimers.get(form));
    draftTimers.set(form, setTimeout(function () { saveDraft(form); }, 400));
  });
  window.addEventListener("pagehide", saveAllDrafts);
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") saveAllDrafts(); });
  document.addEventListener("htmx:beforeHistorySave", saveAllDrafts);

  // Sending: the draft holds the last keystroke too (a refused entry comes back with the page);
  // once the server has stored it, the draft goes.
  document.addEventListener("htmx:beforeRequest", function (event) {
    const form = event.detail.elt;
    if (form.matches && form.matches("form.entry-new[data-draft-owner]")) saveDraft(form);
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    const config = event.detail.requestConfig;
    const form = config && config.elt;
    const status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (form && form.matches && form.matches("form.entry-new[data-draft-owner]") && status >= 200 && status < 300) dropDraft(form);
  });
  // Logout: nothing may be written after pwa.js has cleared the drafts.
  document.addEventListener("htmx:confirm", function (event) {
    if (!event.detail.elt.matches || !event.detail.elt.matches("form.logout")) return;
    draftTimers.forEach(function (timer) { clearTimeout(timer); });
    draftTimers.clear();
  });

  function draftNote(form) {
    const note = document.createElement("p");
    note.className = "save-state draft-note";
    note.dataset.kind = "offline";
    const said = document.createElement("span");
    said.textContent = "Entwurf wiederhergestellt – noch nicht gespeichert.";
    const discard = document.createElement("button");
    discard.type = "button";
    discard.className = "link-button";
    discard.dataset.draftDiscard = "";
    discard.textContent = "Entwurf verwerfen";
    const title = form.closest("section") && form.closest("section").querySelector("h2");
    if (title) {
      const which = document.createElement("span");
      which.className = "visually-hidden";
      which.textContent = " (" + title.textContent + ")";
      discard.append(which);
    }
    note.append(said, discard);
    form.prepend(note);
  }

  function announce(text) {
    const status = document.getElementById("pwa-status");
    if (status) status.textContent = text;
  }

  // Forms the page came with get their drafts back; another user's drafts are deleted on sight.
  function restoreDrafts() {
    const forms = Array.from(document.querySelectorAll("form.entry-new[data-draft-owner]:not([data-draft-checked])"));
    if (!forms.length || !drafts()) return Promise.resolve();
    forms.forEach(function (form) { form.dataset.draftChecked = ""; });
    const owner = forms[0].dataset.draftOwner;
    return drafts().all().then(function (stored) {
      let restored = 0;
      stored.forEach(function (draft) {
        if (draft.owner !== owner) { drafts().remove(draft.key).catch(function () {}); return; }
        const form = forms.find(function (candidate) { return draftKey(candidate) === draft.key; });
        // Typed into already, or the page shows that very text (a refused entry): leave it.
        if (!form || draftFields(form) || DRAFT_FIELDS.every(function (name) {
          const field = form.elements.namedItem(name);
          return !field || !(name in draft.fields) || field.value === draft.fields[name];
        })) return;
        DRAFT_FIELDS.forEach(function (name) {
          const field = form.elements.namedItem(name);
          if (field && name in draft.fields) field.value = draft.fields[name];
        });
        const details = form.closest("details");
        if (details) details.open = true;
        draftNote(form);
        restored += 1;
      });
      if (restored) announce(restored === 1 ? "Entwurf wiederhergestellt." : restored + " Entwürfe wiederhergestellt.");
    }).catch(function () {});
  }

  document.addEventListener("click", function (event) {
    const discard = event.target.closest("[data-draft-discard]");
    const form = discard && discard.closest("form.entry-new");
    if (!form) return;
    DRAFT_FIELDS.forEach(function (name) {
      const field = form.elements.namedItem(name);
      if (field) field.value = initialValue(field);
    });
    dropDraft(form);
    announce("Entwurf verworfen.");
    form.elements.namedItem("text").focus();
  });

  document.addEventListener("htmx:afterSettle", restoreDrafts);
  restoreDrafts();
})();
