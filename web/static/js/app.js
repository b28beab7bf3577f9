// leokop's own script: CSRF header for htmx, copy buttons. No inline script anywhere (strict CSP).
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

  // After an htmx page swap, move focus to the main content so screen readers announce the new page.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.boosted) {
      const main = document.getElementById("main");
      const invalid = main && main.querySelector("[aria-invalid=true]");
      (invalid || main)?.focus({ preventScroll: !invalid });
    }
  });
})();
