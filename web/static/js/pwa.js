// The installed app on every page: registers the service worker, offers a new version, shows the
// install hint, sends the offline outbox when the connection returns, clears caches at logout and
// switches push notifications on and off. Texts live in the templates (pwa/*.html).
(function () {
  "use strict";

  const Outbox = window.LeokopOutbox;
  const SYNC_TAG = "leokop-outbox";
  const INSTALL_DISMISSED = "leokop.installHintDismissed";
  const PUSH_ID = "leokop.pushSubscriptionId";

  function cookie(name) {
    for (const part of document.cookie.split(";")) {
      const [key, ...value] = part.trim().split("=");
      if (key === name) return decodeURIComponent(value.join("="));
    }
    return "";
  }

  function announce(text) {
    const status = document.getElementById("pwa-status");
    if (status) status.textContent = text;
  }

  function show(element, visible) {
    if (element) element.hidden = !visible;
  }

  function me() { return (document.getElementById("main") || { dataset: {} }).dataset.user || ""; }

  function isStandalone() {
    return window.matchMedia("(display-mode: standalone)").matches || navigator.standalone === true;
  }

  function isIos() {
    return /iPhone|iPad|iPod/.test(navigator.userAgent) || (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  }

  // --- service worker and new versions -------------------------------------------------------
  let reloading = false;
  let waitingWorker = null;

  function offerUpdate(worker) {
    waitingWorker = worker || waitingWorker;
    const toast = document.getElementById("update-toast");
    if (!toast || !waitingWorker) return;
    show(toast, true);
    announce(toast.querySelector("p").textContent);
  }

  // After the page has loaded: the worker's install (it fetches the shell) must not compete with
  // the page's own first requests.
  function afterLoad(work) {
    if (document.readyState === "complete") setTimeout(work, 0);
    else window.addEventListener("load", function () { setTimeout(work, 0); }, { once: true });
  }

  if ("serviceWorker" in navigator) {
    afterLoad(registerWorker);
    navigator.serviceWorker.addEventListener("controllerchange", function () {
      if (reloading) window.location.reload();
    });
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "outbox") outboxChanged(event.data.result);
    });
  }

  function registerWorker() {
    navigator.serviceWorker.register("/sw.js", { scope: "/", updateViaCache: "none" }).then(function (registration) {
      if (registration.waiting && navigator.serviceWorker.controller) offerUpdate(registration.waiting);
      registration.addEventListener("updatefound", function () {
        const installing = registration.installing;
        installing.addEventListener("statechange", function () {
          // The first worker takes over silently; a later one waits and is offered.
          if (installing.state === "installed" && navigator.serviceWorker.controller) offerUpdate(installing);
        });
      });
      document.addEventListener("visibilitychange", function () {
        if (document.visibilityState === "visible") registration.update().catch(function () {});
      });
    }).catch(function () { /* no worker: the pages still work online */ });
  }

  document.addEventListener("click", function (event) {
    if (!event.target.closest("[data-sw-update]")) return;
    if (!waitingWorker) return window.location.reload();
    reloading = true;
    waitingWorker.postMessage({ type: "skip-waiting" });
  });

  // --- offline: the toast, the outbox ----------------------------------------------------------
  function onlineState() {
    // The offline page says it already.
    show(document.getElementById("offline-toast"), !navigator.onLine && !document.querySelector("[data-offline-page]"));
  }
  window.addEventListener("offline", onlineState);

  function outboxChanged(result) {
    document.dispatchEvent(new CustomEvent("leokop:outbox", { detail: result || {} }));
    countOnOfflinePage();
  }

  let replaying = null;
  function replay() {
    if (!Outbox || !navigator.onLine) return Promise.resolve(null);
    if (!replaying) {
      replaying = Outbox.replay(cookie("leokop_csrf"), me())
        .then(function (result) { outboxChanged(result); return result; })
        .catch(function () { return null; })
        .finally(function () { replaying = null; });
    }
    return replaying;
  }

  // Background Sync (Chromium) sends the outbox even after the tab is closed; everywhere else the
  // page does it on `online`, on load and on becoming visible.
  function requestSync() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.sync) return registration.sync.register(SYNC_TAG);
    }).catch(function () {});
  }

  window.addEventListener("online", function () { onlineState(); replay(); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") replay();
  });
  document.addEventListener("leokop:queued", function () {
    requestSync();
    countOnOfflinePage();
  });

  function countOnOfflinePage() {
    const note = document.querySelector("[data-outbox-count]");
    if (!note || !Outbox) return;
    Outbox.all().then(function (all) {
      const items = all.filter(Outbox.ownedBy(me()));
      note.querySelector("[data-outbox-number]").textContent = String(items.length);
      show(note, items.length > 0);
    }).catch(function () {});
  }

  window.LeokopPwa = { replay: replay, cookie: cookie };

  // Pages swapped in by hx-boost: a failed navigation becomes a real one, which the service worker
  // answers with the offline page.
  document.addEventListener("htmx:sendError", function (event) {
    const config = event.detail.requestConfig;
    if (config && config.boosted && config.verb === "get") window.location.assign(config.path);
  });

  // --- logout: nothing of this person stays on the device -------------------------------------
  document.addEventListener("htmx:confirm", function (event) {
    const form = event.detail.elt;
    if (!form.matches || !form.matches("form.logout") || !Outbox) return;
    event.preventDefault();
    replay().then(Outbox.all).then(function (all) {
      // Only this person's changes: another person's wait on this device for that person.
      const items = all.filter(function (item) { return item.owner ? String(item.owner) === me() : true; });
      if (items.length && !window.confirm("Offline gespeicherte Änderungen, die noch nicht gesendet sind, werden beim Abmelden gelöscht. Trotzdem abmelden?")) {
        return false;
      }
      const removals = items.map(function (item) { return Outbox.remove(item.key); });
      return Promise.all(removals.concat([Outbox.drafts.clear()])).then(function () { return true; });
    }).catch(function () { return true; }).then(function (go) {
      return go && endPushAtLogout(form).then(function () { return true; });
    }).then(function (go) {
      if (!go) return;
      if (navigator.serviceWorker && navigator.serviceWorker.controller) navigator.serviceWorker.controller.postMessage({ type: "logout" });
      event.detail.issueRequest(true);
    });
  });

  // --- install hint ----------------------------------------------------------------------------
  let installPrompt = null;

  function installHint(kind) {
    const hint = document.getElementById("install-hint");
    if (!hint || isStandalone() || localStorage.getItem(INSTALL_DISMISSED)) return;
    hint.querySelectorAll("[data-install]").forEach(function (text) { show(text, text.dataset.install === kind); });
    show(hint.querySelector("[data-install-now]"), kind === "prompt");
    show(hint, true);
  }

  function hideInstallHint(remember) {
    if (remember) localStorage.setItem(INSTALL_DISMISSED, String(Date.now()));
    show(document.getElementById("install-hint"), false);
  }

  window.addEventListener("beforeinstallprompt", function (event) {
    event.preventDefault(); // our own hint instead of the browser's mini-bar
    installPrompt = event;
    installHint("prompt");
  });
  window.addEventListener("appinstalled", function () { hideInstallHint(true); });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-install-dismiss]")) {
      hideInstallHint(true);
    } else if (event.target.closest("[data-install-now]") && installPrompt) {
      installPrompt.prompt();
      installPrompt.userChoice.then(function (choice) { hideInstallHint(choice.outcome === "accepted"); });
      installPrompt = null;
    }
  });

  // --- push notifications on this device --------------------------------------------------------
  function pushSupported() {
    return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  }

  // "Chrome auf Android": lets people tell their devices apart in /notifications/devices.
  function deviceLabel() {
    const ua = navigator.userAgent;
    const browser = /Edg\//.test(ua) ? "Edge" : /SamsungBrowser/.test(ua) ? "Samsung Internet" : /Firefox|FxiOS/.test(ua) ? "Firefox"
      : /OPR\//.test(ua) ? "Opera" : /Chrome|CriOS|Chromium/.test(ua) ? "Chrome" : /Safari/.test(ua) ? "Safari" : "Browser";
    const system = /Android/.test(ua) ? "Android" : /iPhone/.test(ua) ? "iPhone" : /iPad/.test(ua) || (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1) ? "iPad"
      : /Windows/.test(ua) ? "Windows" : /Mac OS X|Macintosh/.test(ua) ? "Mac" : /CrOS/.test(ua) ? "ChromeOS" : /Linux/.test(ua) ? "Linux" : "";
    return (system ? browser + " auf " + system : browser) + (isStandalone() ? " (App)" : "");
  }

  function base64UrlToBytes(text) {
    const padded = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(padded), function (c) { return c.charCodeAt(0); });
  }

  function sameKey(subscription, key) {
    const current = subscription.options && subscription.options.applicationServerKey;
    if (!current) return true;
    const a = new Uint8Array(current);
    return a.length === key.length && a.every(function (byte, i) { return byte === key[i]; });
  }

  function api(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": cookie("leokop_csrf") },
      body: body ? JSON.stringify(body) : undefined,
    }).then(function (response) {
      if (!response.ok) throw new Error(method + " " + url + ": " + response.status);
      return response.status === 204 ? null : response.json();
    });
  }

  function register(subscription) {
    const body = Object.assign(subscription.toJSON(), { label: deviceLabel() });
    return api("POST", "/api/v1/push/subscriptions", body).then(function (answer) {
      if (answer && answer.id !== undefined) localStorage.setItem(PUSH_ID, String(answer.id));
      return answer;
    });
  }

  function pushState(box, state) {
    box.querySelectorAll("[data-push-state]").forEach(function (text) { show(text, text.dataset.pushState === state); });
    show(box.querySelector("[data-push-on]"), state === "off" || state === "error");
    show(box.querySelector("[data-push-off]"), state === "on");
    box.dataset.state = state;
  }

  function refreshPush(box) {
    if (!pushSupported()) return pushState(box, isIos() && !isStandalone() ? "ios" : "unsupported");
    if (Notification.permission === "denied") return pushState(box, "denied");
    pushState(box, "checking");
    return navigator.serviceWorker.ready
      .then(function (registration) { return registration.pushManager.getSubscription(); })
      .then(function (subscription) {
        if (!subscription || Notification.permission !== "granted") return false;
        // On for this person only if the server has this browser among their devices (a shared
        // browser may still hold the subscription of somebody who did not log out).
        return api("GET", "/api/v1/push/subscriptions").then(function (devices) {
          return devices.some(function (device) { return device.endpoint === subscription.endpoint; });
        });
      })
      .then(function (mine) { pushState(box, mine ? "on" : "off"); })
      .catch(function () { pushState(box, "error"); });
  }

  async function pushOn(box) {
    // Asked right in the tap: browsers refuse permission prompts that do not come from one.
    const permission = await Notification.requestPermission();
    if (permission !== "granted") return pushState(box, permission === "denied" ? "denied" : "off");
    pushState(box, "busy");
    const registration = await navigator.serviceWorker.ready;
    const key = base64UrlToBytes((await api("GET", "/api/v1/push/key")).public_key);
    let subscription = await registration.pushManager.getSubscription();
    if (subscription && !sameKey(subscription, key)) {
      await subscription.unsubscribe(); // the server's key changed: the old subscription is useless
      subscription = null;
    }
    if (!subscription) subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    await register(subscription);
    pushState(box, "on");
  }

  async function pushOff(box) {
    pushState(box, "busy");
    const registration = await navigator.serviceWorker.ready;
    const subscription = await registration.pushManager.getSubscription();
    let id = localStorage.getItem(PUSH_ID);
    // Storage was cleared: registering the same endpoint again tells us its id.
    if (!id && subscription) id = String((await register(subscription)).id);
    if (id) await api("DELETE", "/api/v1/push/subscriptions/" + encodeURIComponent(id)).catch(function (error) {
      if (!/: 404$/.test(error.message)) throw error;
    });
    localStorage.removeItem(PUSH_ID);
    if (subscription) await subscription.unsubscribe();
    pushState(box, "off");
  }

  // Logout: this browser stops getting this person's pushes (a shared browser's next user must not
  // see them). The subscription ends here and its endpoint goes with the logout form, so the server
  // forgets exactly this device of this person. Never holds the logout up for long.
  function endPushAtLogout(form) {
    localStorage.removeItem(PUSH_ID);
    if (!pushSupported()) return Promise.resolve();
    const ending = navigator.serviceWorker.getRegistration().then(function (registration) {
      return registration && registration.pushManager.getSubscription();
    }).then(function (subscription) {
      if (!subscription) return;
      const field = form.querySelector("input[name=push_endpoint]");
      if (field) field.value = subscription.endpoint;
      return subscription.unsubscribe();
    }).catch(function () {});
    return Promise.race([ending, new Promise(function (done) { setTimeout(done, 3000); })]);
  }

  document.addEventListener("click", function (event) {
    const on = event.target.closest("[data-push-on]");
    const off = event.target.closest("[data-push-off]");
    if (!on && !off) return;
    const box = event.target.closest("[data-push-toggle]");
    (on ? pushOn(box) : pushOff(box)).catch(function () { pushState(box, "error"); });
  });

  // --- every page (and every page htmx swaps in) --------------------------------------------------
  function setUp() {
    onlineState();
    countOnOfflinePage();
    offerUpdate(null);
    document.querySelectorAll("[data-push-toggle]").forEach(refreshPush);
    if (installPrompt) installHint("prompt");
    else if (isIos() && !isStandalone()) installHint("ios");
  }
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.boosted) setUp();
  });
  setUp();
  afterLoad(replay);
})();
