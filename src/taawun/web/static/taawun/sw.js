/* Taawun's service worker, served at /sw.js (scope: the whole site).
   Pages: network first; the worker's schedule pages, lessons and knowledge-base pages are kept
   when visited (not their edit forms), so they still show offline; any other page never
   visited shows the offline page.
   Static files (the stylesheet): kept when fetched, served from the cache, refreshed behind.
   The school's pictures: named by their content, so kept and served from the cache.
   Never kept: anything but GET, the JSON API, other sites. Old caches go on activate, and the
   kept pages go when someone signs out (a phone may be shared).
   The server fills in the values between double underscores. */
"use strict";

const CACHE = "taawun-__VERSION__";
const OFFLINE_URL = "__OFFLINE_URL__";
const PRECACHE = [OFFLINE_URL, "__CSS_URL__"];
const KEPT_PAGES = __KEPT_PAGES__;
const STATIC_PREFIX = "__STATIC_PREFIX__";
const SIGN_OUT_URL = "__SIGN_OUT_URL__";
const KEPT_PICTURES = "__KEPT_PICTURES__";

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((key) => key.startsWith("taawun-") && key !== CACHE)
          .map((key) => caches.delete(key))
      ))
      .then(() => self.clients.claim())
  );
});

async function forgetPages() {
  const cache = await caches.open(CACHE);
  const requests = await cache.keys();
  await Promise.all(
    requests.filter((request) => keptPage(new URL(request.url)))
      .map((request) => cache.delete(request))
  );
}

function keptPage(url) {
  return (
    (KEPT_PAGES.some((prefix) => url.pathname.startsWith(prefix)) &&
      !url.pathname.endsWith("/edit/")) ||
    url.pathname.startsWith(KEPT_PICTURES)
  );
}

async function pageFirstFromNetwork(request, url) {
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected && keptPage(url)) {
      const cache = await caches.open(CACHE);
      await cache.put(request, response.clone());
    }
    return response;
  } catch (error) {
    const cache = await caches.open(CACHE);
    const kept = keptPage(url) ? await cache.match(request) : undefined;
    return kept || (await cache.match(OFFLINE_URL)) || Response.error();
  }
}

async function staticFromCache(request) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(request);
  const fresh = fetch(request).then((response) => {
    if (response.ok) {
      cache.put(request, response.clone());
    }
    return response;
  });
  if (kept) {
    fresh.catch(() => undefined);
    return kept;
  }
  return fresh;
}

async function pictureFromCache(request) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(request);
  if (kept) {
    return kept;
  }
  const response = await fetch(request);
  if (response.ok) {
    await cache.put(request, response.clone());
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET") {
    if (url.origin === self.location.origin && url.pathname === SIGN_OUT_URL) {
      event.waitUntil(forgetPages());
    }
    return; // a form sent or an API call: straight to the network, never kept
  }
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/")) {
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(pageFirstFromNetwork(request, url));
  } else if (url.pathname.startsWith(STATIC_PREFIX)) {
    event.respondWith(staticFromCache(request));
  } else if (url.pathname.startsWith(KEPT_PICTURES)) {
    event.respondWith(pictureFromCache(request));
  }
});
