// leokop's service worker, served as /sw.js behind its settings (backend/leokop/web/pwa_routes.py):
// precaches the shell, answers pages from the network with the offline page as fallback, never
// caches a personal page or an API answer, replays the offline outbox (Background Sync) and shows
// push notifications.
"use strict";

const CONFIG = self.LEOKOP_SW || { version: "dev", precache: [], offline: "/offline", outbox: null };
const SHELL_CACHE = "leokop-shell-" + CONFIG.version;
const SHELL_URLS = new Set(CONFIG.precache);
const SYNC_TAG = "leokop-outbox";

if (CONFIG.outbox) importScripts(CONFIG.outbox); // self.LeokopOutbox

// --- install, update, clean-up ----------------------------------------------------------------

self.addEventListener("install", function (event) {
  // No skipWaiting here: a new version waits until the page offers "Neue Version – neu laden".
  event.waitUntil(
    caches.open(SHELL_CACHE).then(function (cache) {
      return Promise.all(
        CONFIG.precache.map(function (url) {
          // Without cookies: the shell is everybody's, never one person's page.
          return fetch(new Request(url, { credentials: "omit", cache: "reload" })).then(function (response) {
            if (!response.ok) throw new Error("precache " + url + ": " + response.status);
            return cache.put(url, response);
          });
        })
      );
    })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    (async function () {
      for (const name of await caches.keys()) {
        if (name.startsWith("leokop-") && name !== SHELL_CACHE) await caches.delete(name);
      }
      if (self.registration.navigationPreload) await self.registration.navigationPreload.enable();
      await self.clients.claim();
    })()
  );
});

self.addEventListener("message", function (event) {
  const type = event.data && event.data.type;
  if (type === "skip-waiting") {
    self.skipWaiting();
  } else if (type === "logout") {
    // Only the shell may stay: drop any other cache (none holds personal pages, but be sure).
    event.waitUntil(
      caches.keys().then(function (names) {
        return Promise.all(names.filter(function (name) { return name !== SHELL_CACHE; }).map(function (name) { return caches.delete(name); }));
      })
    );
  }
});

// --- requests -----------------------------------------------------------------------------------

self.addEventListener("fetch", function (event) {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(page(event));
  } else if (SHELL_URLS.has(url.pathname + url.search)) {
    event.respondWith(shell(request));
  }
  // Everything else (htmx fragments, the API, attachments) goes to the network and is never stored.
});

async function page(event) {
  try {
    const preloaded = await event.preloadResponse;
    return preloaded || (await fetch(event.request));
  } catch (error) {
    const cache = await caches.open(SHELL_CACHE);
    return (await cache.match(CONFIG.offline, { ignoreVary: true })) || Response.error();
  }
}

async function shell(request) {
  const cache = await caches.open(SHELL_CACHE);
  return (await cache.match(request, { ignoreVary: true })) || fetch(request);
}

// --- offline outbox ---------------------------------------------------------------------------

async function csrfToken() {
  // Chromium's service workers can read cookies; elsewhere the token stored with each change is used.
  if (self.cookieStore) {
    try {
      const cookie = await self.cookieStore.get("leokop_csrf");
      if (cookie) return cookie.value;
    } catch (error) { /* fall back to the stored token */ }
  }
  return null;
}

async function tellPages(message) {
  for (const client of await self.clients.matchAll({ type: "window", includeUncontrolled: true })) client.postMessage(message);
}

self.addEventListener("sync", function (event) {
  if (event.tag !== SYNC_TAG || !self.LeokopOutbox) return;
  event.waitUntil(
    (async function () {
      const result = await self.LeokopOutbox.replay(await csrfToken());
      await tellPages({ type: "outbox", result: result });
      // Still offline: failing the sync makes the browser try again later.
      if (result.offline) throw new Error("outbox: still offline");
    })()
  );
});

// --- push -----------------------------------------------------------------------------------------

function sameOriginUrl(value) {
  if (typeof value !== "string" || !value) return null;
  try {
    const url = new URL(value, self.location.origin);
    return url.origin === self.location.origin ? url.href : null;
  } catch (error) {
    return null;
  }
}

function readPayload(data) {
  if (!data) return {};
  try {
    return data.json() || {};
  } catch (error) {
    return {};
  }
}

// The payload has the declarative shape ({"web_push": 8030, "notification": {...}}) that Safari shows
// by itself; every other browser lands here, and every push must show a notification.
self.addEventListener("push", function (event) {
  const payload = readPayload(event.data);
  const note = (payload && typeof payload.notification === "object" && payload.notification) || {};
  const title = typeof note.title === "string" && note.title ? note.title : "leokop";
  const options = {
    // A title says it all; only a push without one gets a general line.
    body: typeof note.body === "string" ? note.body : title === "leokop" ? "Es gibt Neuigkeiten in leokop." : "",
    lang: typeof note.lang === "string" ? note.lang : "de",
    icon: "/pwa/icons/icon-192.png",
    badge: "/pwa/icons/badge-96.png",
    data: { url: sameOriginUrl(note.navigate) || sameOriginUrl("/notifications") },
  };
  if (typeof note.tag === "string" && note.tag) options.tag = note.tag;
  event.waitUntil(self.registration.showNotification(title, options));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  const target = (event.notification.data && event.notification.data.url) || sameOriginUrl("/notifications");
  event.waitUntil(openPage(target));
});

async function openPage(url) {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const client of windows) {
    if (client.url === url && "focus" in client) return client.focus();
  }
  for (const client of windows) {
    if ("navigate" in client) {
      try {
        const navigated = await client.navigate(url);
        if (navigated) return navigated.focus();
      } catch (error) { /* not controlled by this worker: open a window instead */ }
    }
  }
  return self.clients.openWindow(url);
}

// The push service replaced the subscription (expiry, key change): subscribe again and tell the server.
self.addEventListener("pushsubscriptionchange", function (event) {
  event.waitUntil(
    (async function () {
      const token = await csrfToken();
      if (!token) return;
      let subscription = event.newSubscription;
      if (!subscription) {
        const key = await (await fetch("/api/v1/push/key", { credentials: "same-origin" })).json();
        subscription = await self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key.public_key });
      }
      await fetch("/api/v1/push/subscriptions", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token },
        body: JSON.stringify(subscription.toJSON()),
      });
    })()
  );
});
