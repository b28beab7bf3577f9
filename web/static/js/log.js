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

  // Leaving the page (or the app going to the background) saves what is still unsaved.
  function flush() {
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
      htmx.ajax("GET", "/log/suggestions?text=" + encodeURIComponent(words) + "&ziel=" + encodeURIComponent(textarea.id),
        { target: target, swap: "innerHTML" });
    }, 300);
  });
})();
