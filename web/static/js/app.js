// leokop's own script: CSRF header for htmx, copy buttons, "Alle auswählen". No inline script anywhere (strict CSP).
(function () {
  "use strict";
  // Lets CSS hide the no-JavaScript fallbacks (e.g. "Übernehmen" next to a self-submitting select).
  document.documentElement.classList.add("js");

  function cookie(name) {
    const prefix = name + "=";
    for (const part of document.cookie.split(";")) {
      const trimmed = part.trim();
      if (trimmed.startsWith(prefix)) return decodeURIComponent(trimmed.slice(prefix.length));
    }
    return "";
  }

  // The token comes from the cookie at send time, never from cached HTML (the service worker may
  // serve an old page).
  document.addEventListener("htmx:configRequest", function (event) {
    const token = cookie("leokop_csrf");
    if (token) event.detail.headers["X-CSRFToken"] = token;
  });

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const input = document.querySelector(button.getAttribute("data-copy"));
    if (!input) return;
    input.select();
    const done = function () {
      const label = button.textContent;
      button.textContent = "Kopiert";
      setTimeout(function () { button.textContent = label; }, 2000);
    };
    if (navigator.clipboard) {
      navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  });

  // "Alle auswählen": a .select-all checkbox ticks every week_ids box of the form its data-scope
  // names, and shows whether all, some (indeterminate) or none are ticked. Delegated, so it works
  // on pages htmx swaps in.
  function weekBoxes(form) {
    return form ? form.querySelectorAll("input[name=week_ids]") : [];
  }
  document.addEventListener("change", function (event) {
    const box = event.target;
    if (box.matches(".select-all")) {
      for (const week of weekBoxes(document.getElementById(box.dataset.scope))) week.checked = box.checked;
    } else if (box.matches("input[name=week_ids]") && box.form && box.form.id) {
      const all = document.querySelector('.select-all[data-scope="' + box.form.id + '"]');
      if (!all) return;
      const ticked = Array.from(weekBoxes(box.form)).filter(function (week) { return week.checked; }).length;
      all.checked = ticked > 0 && ticked === weekBoxes(box.form).length;
      all.indeterminate = ticked > 0 && !all.checked;
    }
  });

  // After an htmx page swap, move focus to the main content so screen readers announce the new page.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.boosted) {
      const main = document.getElementById("main");
      const invalid = main && main.querySelector("[aria-invalid=true]");
      (invalid || main)?.focus({ preventScroll: !invalid });
    }
  });
})();
