"use strict";
const api = globalThis.browser ?? globalThis.chrome;
const DEFAULTS = { serviceUrl: "http://127.0.0.1:8787", token: "", enabled: true };
const $ = (id) => document.getElementById(id);
const status = (text, ok) => { $("status").textContent = text; $("status").className = ok ? "ok" : "bad"; };

async function load() {
  const s = { ...DEFAULTS, ...(await api.storage.local.get(DEFAULTS)) };
  $("serviceUrl").value = s.serviceUrl;
  $("token").value = s.token;
  $("enabled").checked = s.enabled;
}

// The service's origin as a host permission pattern; loopback is granted
// by the manifest, anything else is asked for (this click is the gesture).
function originPattern(url) {
  const u = new URL(url);
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("the URL must start with http:// or https://");
  return `${u.protocol}//${u.hostname}/*`;
}

async function grant(url) {
  const origins = [originPattern(url)];
  if (await api.permissions.contains({ origins })) return true;
  return api.permissions.request({ origins });
}

async function save() {
  let url;
  try {
    url = new URL($("serviceUrl").value.trim()).href.replace(/\/+$/, "");
  } catch {
    return status("Not a URL: " + $("serviceUrl").value, false);
  }
  try {
    if (!(await grant(url))) return status("Permission to reach " + url + " was not given.", false);
  } catch (e) {
    return status(String(e.message || e), false);
  }
  await api.storage.local.set({ serviceUrl: url, token: $("token").value, enabled: $("enabled").checked });
  status("Saved.", true);
}

async function test() {
  const url = $("serviceUrl").value.trim();
  try {
    if (!(await grant(url))) return status("Permission to reach " + url + " was not given.", false);
  } catch (e) {
    return status(String(e.message || e), false);
  }
  const r = await api.runtime.sendMessage({ type: "health", serviceUrl: url });
  if (r && r.ok) status(`Connected: apolint ${r.health.version}, ${r.health.rules} rules.`, true);
  else status("No apolint service answers at " + url + (r && r.error ? ` (${r.error})` : ""), false);
}

$("save").addEventListener("click", save);
$("test").addEventListener("click", test);
load();
