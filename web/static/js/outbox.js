// The offline outbox: entries added or changed without a connection wait in IndexedDB and are sent
// to the JSON API when it returns. Shared by the pages (pwa.js, log.js) and the service worker
// (importScripts), so it touches no DOM. Adds carry a client id, so a replay is stored once; edits
// carry the version they were based on, so a change made elsewhere meanwhile becomes a conflict.
// The same database keeps the drafts of new entries that were typed but not yet sent (log.js).
(function (scope) {
  "use strict";

  const DB_NAME = "leokop";
  const STORE = "outbox";
  const DRAFTS = "drafts";
  const LOCK = "leokop-outbox";
  let opening = null;

  function open() {
    if (!opening) {
      opening = new Promise(function (resolve, reject) {
        const request = indexedDB.open(DB_NAME, 2);
        request.onupgradeneeded = function (event) {
          // 1: the outbox; 2: drafts, added beside it (a device on version 1 keeps its outbox).
          const db = request.result;
          if (event.oldVersion < 1) db.createObjectStore(STORE, { keyPath: "key", autoIncrement: true });
          if (event.oldVersion < 2) db.createObjectStore(DRAFTS, { keyPath: "key" });
        };
        request.onsuccess = function () {
          const db = request.result;
          // A newer version (a tab or worker updated meanwhile) must not wait for this old connection.
          db.onversionchange = function () { db.close(); opening = null; };
          resolve(db);
        };
        request.onerror = function () { opening = null; reject(request.error); };
      });
    }
    return opening;
  }

  // One transaction; `work(store)` may return an IDBRequest whose result is the answer.
  function withStore(mode, work, name) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        const tx = db.transaction(name || STORE, mode);
        const request = work(tx.objectStore(name || STORE));
        // Every request is made by now: commit at once rather than after a round trip, so that a
        // write made as the page goes away (pagehide) is not lost with the page.
        if (tx.commit) tx.commit();
        tx.oncomplete = function () { resolve(request ? request.result : undefined); };
        // A transaction the closing page aborts has no error object: reject with a real one.
        tx.onerror = tx.onabort = function () { reject(tx.error || new Error("IndexedDB: transaction aborted")); };
      });
    });
  }

  function all() { return withStore("readonly", function (store) { return store.getAll(); }); }
  function put(item) { return withStore("readwrite", function (store) { return store.put(item); }); }
  function remove(key) { return withStore("readwrite", function (store) { store.delete(key); }); }
  function clear() { return withStore("readwrite", function (store) { store.clear(); }); }

  // Drafts: { key, owner, fields, saved }, one per user and form (log.js builds the key).
  const drafts = {
    all: function () { return withStore("readonly", function (store) { return store.getAll(); }, DRAFTS); },
    put: function (draft) { return withStore("readwrite", function (store) { return store.put(draft); }, DRAFTS); },
    remove: function (key) { return withStore("readwrite", function (store) { store.delete(key); }, DRAFTS); },
    clear: function () { return withStore("readwrite", function (store) { store.clear(); }, DRAFTS); },
  };

  function newClientId() {
    if (scope.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    return Date.now().toString(36) + Math.random().toString(36).slice(2, 14);
  }

  // The server's rule (leokop.timeutil.parse_duration): "8", "1:30", "1,5", "1.5"; null if none.
  function parseDuration(text) {
    const match = /^\s*(\d{1,3})(?:\s*([:.,])\s*(\d{1,2}))?\s*(?:h|std\.?)?\s*$/i.exec(text || "");
    if (!match) return null;
    const hours = parseInt(match[1], 10);
    if (match[3] === undefined) return hours * 60;
    const fraction = parseInt(match[3], 10);
    if (match[2] === ":") return fraction >= 60 ? null : hours * 60 + fraction;
    return Math.round((hours + fraction / Math.pow(10, match[3].length)) * 60);
  }

  // Every change carries its `owner` (the user id): on a shared device a change waits for the person
  // who made it and is never sent with somebody else's session.
  function ownedBy(owner) {
    return function (item) { return !item.owner || !owner || String(item.owner) === String(owner); };
  }

  // Who is signed in, for the service worker (pages know it from the page): null if nobody.
  async function whoAmI() {
    try {
      const response = await fetch("/api/v1/me", { credentials: "same-origin", headers: { Accept: "application/json" } });
      return response.ok ? String((await response.json()).id) : null;
    } catch (error) {
      return null;
    }
  }

  // A new entry: { owner, contract, monday, day, category, text, minutes, csrf, client_id (optional) }.
  function queueAdd(change) {
    const item = Object.assign({}, change, { kind: "add", client_id: change.client_id || newClientId(), state: "pending", created: Date.now() });
    return put(item).then(function (key) { item.key = key; return item; });
  }

  // A change of a stored entry: { owner, contract, monday, entry, version, day, category, text, minutes, csrf }.
  // Typing on while offline updates the waiting change; it keeps the version it was first based on.
  function queueEdit(change) {
    return all().then(function (items) {
      const waiting = items.find(function (item) { return item.kind === "edit" && item.entry === change.entry; });
      const item = waiting
        ? Object.assign(waiting, { category: change.category, text: change.text, minutes: change.minutes, csrf: change.csrf || waiting.csrf, updated: Date.now() })
        : Object.assign({}, change, { kind: "edit", state: "pending", created: Date.now() });
      return put(item).then(function (key) { item.key = key; return item; });
    });
  }

  function entriesUrl(item) {
    return "/api/v1/contracts/" + item.contract + "/weeks/" + item.monday + "/entries";
  }

  function sameContent(stored, item) {
    return stored && stored.category === item.category && stored.minutes === item.minutes && stored.text === item.text.trim();
  }

  function messageOf(body) {
    if (!body) return "";
    const errors = body.errors && typeof body.errors === "object" && !Array.isArray(body.errors) ? Object.values(body.errors) : [];
    return [body.detail].concat(errors).filter(Boolean).join(" ");
  }

  // Send one change. Answers "sent" (entry is the stored one), "conflict", "gone", "failed" (the
  // server refused it for good), "retry" (come back later) or "offline".
  async function send(item, token) {
    const add = item.kind === "add";
    const body = add
      ? { day: item.day || null, category: item.category, text: item.text, minutes: item.minutes, client_id: item.client_id }
      : { day: item.day || null, category: item.category, text: item.text, minutes: item.minutes, version: item.version };
    let response;
    try {
      response = await fetch(add ? entriesUrl(item) : entriesUrl(item) + "/" + item.entry, {
        method: add ? "POST" : "PUT",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token || item.csrf || "" },
        body: JSON.stringify(body),
      });
    } catch (error) {
      return { outcome: "offline" };
    }
    const answer = await response.json().catch(function () { return null; });
    if (response.ok) return { outcome: "sent", entry: answer };
    if (response.status === 409 && !add && answer && "current" in answer) {
      // Our own earlier replay may have landed with the answer lost: then it is no conflict.
      if (sameContent(answer.current, item)) return { outcome: "sent", entry: answer.current };
      return answer.current ? { outcome: "conflict", current: answer.current } : { outcome: "gone" };
    }
    if (response.status === 401 || response.status === 403 || response.status === 429 || response.status >= 500) {
      // Signed out, an old CSRF token, or the server is busy: the change waits for the next try.
      return { outcome: "retry", error: messageOf(answer), status: response.status };
    }
    return { outcome: "failed", error: messageOf(answer) || "Der Server hat die Änderung abgelehnt.", status: response.status };
  }

  function withLock(work) {
    if (scope.navigator && navigator.locks && navigator.locks.request) return navigator.locks.request(LOCK, work);
    return work();
  }

  // Send every waiting change of the signed-in person (`owner`; the service worker asks the server),
  // oldest first, one at a time (a page and the service worker may both try: the lock lets one go
  // first and the other finds nothing left).
  function replay(token, owner) {
    return withLock(async function () {
      const result = { sent: [], conflicts: [], failed: [], pending: 0, offline: false, retry: false };
      const mine = ownedBy(owner || (await whoAmI()) || "nobody");
      const items = (await all()).filter(mine).sort(function (a, b) { return a.key - b.key; });
      for (const item of items) {
        if (item.state !== "pending") continue;
        const answer = await send(item, token);
        if (answer.outcome === "sent") {
          await remove(item.key);
          result.sent.push({ item: item, entry: answer.entry });
        } else if (answer.outcome === "conflict" || answer.outcome === "gone" || answer.outcome === "failed") {
          item.state = answer.outcome;
          item.current = answer.current || null;
          item.error = answer.error || "";
          await put(item);
          (answer.outcome === "failed" ? result.failed : result.conflicts).push(item);
        } else {
          // Offline, or the server cannot take it now: later changes may build on this one, so
          // keep the order and stop here.
          if (answer.outcome === "retry") {
            item.error = answer.error;
            item.status = answer.status;
            await put(item);
          }
          result.offline = answer.outcome === "offline";
          result.retry = answer.outcome === "retry";
          break;
        }
      }
      result.pending = (await all()).filter(mine).filter(function (item) { return item.state === "pending"; }).length;
      return result;
    });
  }

  scope.LeokopOutbox = {
    all: all,
    put: put,
    remove: remove,
    clear: clear,
    queueAdd: queueAdd,
    queueEdit: queueEdit,
    replay: replay,
    ownedBy: ownedBy,
    parseDuration: parseDuration,
    newClientId: newClientId,
    drafts: drafts,
  };
})(self);
