// apolint background (a service worker in Chromium, an event page in
// Firefox: the same file). The only place that talks to the network, and
// only to the configured apolint service: content scripts post drafts
// here, so a desk page's Content-Security-Policy cannot block the request
// and the page never sees the service's address or token.
"use strict";
const api = globalThis.browser ?? globalThis.chrome;

const DEFAULTS = { serviceUrl: "http://127.0.0.1:8787", token: "", enabled: true };
const TIMEOUT_MS = 5000;

async function settings() {
  const got = await api.storage.local.get(DEFAULTS);
  return { ...DEFAULTS, ...got, serviceUrl: normalize(got.serviceUrl ?? DEFAULTS.serviceUrl) };
}

// "http://host:port/" or "http://host:port/apolint" → no trailing slash.
function normalize(url) {
  return String(url || DEFAULTS.serviceUrl).trim().replace(/\/+$/, "");
}

// Rule explanations (GET /v1/rules), fetched once per service address.
let rulesCache = { base: null, map: null, pending: null };
async function rulesFor(cfg, headers) {
  if (rulesCache.base === cfg.serviceUrl && rulesCache.map) return rulesCache.map;
  if (rulesCache.base === cfg.serviceUrl && rulesCache.pending) return rulesCache.pending;
  rulesCache = { base: cfg.serviceUrl, map: null, pending: null };
  rulesCache.pending = (async () => {
    try {
      const r = await fetch(cfg.serviceUrl + "/v1/rules", { headers, credentials: "omit", cache: "no-store" });
      if (!r.ok) return new Map(); // an older service without the endpoint: messages only
      const doc = await r.json();
      const map = new Map((doc.rules || []).map((x) => [x.id, x]));
      rulesCache.map = map;
      return map;
    } catch {
      return new Map();
    } finally {
      rulesCache.pending = null;
    }
  })();
  return rulesCache.pending;
}

// Checks one draft. `signal` aborts it when a newer draft of the same
// editor arrives. Answers {answer} | {offline} | {error, status}.
async function check(body, signal) {
  const cfg = await settings();
  if (!cfg.enabled) return { disabled: true };
  const headers = { "Content-Type": "application/json" };
  if (cfg.token) headers.Authorization = "Bearer " + cfg.token;
  const timeout = AbortSignal.timeout ? AbortSignal.timeout(TIMEOUT_MS) : null;
  const both = timeout && AbortSignal.any ? AbortSignal.any([signal, timeout]) : signal;
  let r;
  try {
    r = await fetch(cfg.serviceUrl + "/v1/check", {
      method: "POST", headers, body: JSON.stringify(body), signal: both, credentials: "omit", cache: "no-store",
    });
  } catch (e) {
    if (signal.aborted) return { aborted: true };
    return { offline: true, service: cfg.serviceUrl };
  }
  if (r.status === 401) return { error: "The apolint service needs a token: set it in the extension's options.", status: 401 };
  let answer;
  try {
    answer = await r.json();
  } catch {
    return { offline: true, service: cfg.serviceUrl };
  }
  if (!r.ok) return { error: answer.error || `HTTP ${r.status}`, status: r.status };
  if (answer.findings && answer.findings.length) {
    const rules = await rulesFor(cfg, cfg.token ? { Authorization: headers.Authorization } : {});
    for (const f of answer.findings) {
      const d = rules.get(f.rule);
      if (d) f.doc = { explanation: d.explanation, suggestions: d.suggestions, reported: d.reported };
    }
  }
  return { answer };
}

// One port per frame with an editor: a new draft aborts the one in flight.
api.runtime.onConnect.addListener((port) => {
  if (port.name !== "apolint") return;
  let inflight = null;
  port.onMessage.addListener(async (msg) => {
    if (!msg || msg.type !== "check" || typeof msg.text !== "string") return;
    if (inflight) inflight.abort();
    const ctl = new AbortController();
    inflight = ctl;
    const body = { text: msg.text };
    if (msg.format === "html" || msg.format === "plain") body.format = msg.format;
    const result = await check(body, ctl.signal);
    if (inflight === ctl) inflight = null;
    if (result.aborted || ctl.signal.aborted) return;
    try {
      port.postMessage({ type: "result", seq: msg.seq, ...result });
    } catch {
      // the tab went away
    }
  });
  port.onDisconnect.addListener(() => {
    if (inflight) inflight.abort();
    inflight = null;
  });
});

// The options page asks whether the service answers.
api.runtime.onMessage.addListener((msg, _sender, reply) => {
  if (!msg || msg.type !== "health") return false;
  (async () => {
    const base = normalize(msg.serviceUrl);
    try {
      const r = await fetch(base + "/healthz", { credentials: "omit", cache: "no-store", signal: AbortSignal.timeout(TIMEOUT_MS) });
      const h = await r.json();
      reply({ ok: r.ok, health: h });
    } catch (e) {
      reply({ ok: false, error: String(e && e.message ? e.message : e) });
    }
  })();
  return true;
});

api.action?.onClicked?.addListener(() => api.runtime.openOptionsPage());
