// End-to-end test of the browser extension (extension/) in Debian's
// Chromium, driven by playwright-core: the unpacked extension is loaded
// into a persistent profile, a real `apolint serve` checks the drafts, and
// local pages reproduce the reply editors of the help desks (served under
// the desks' own host names, mapped to 127.0.0.1, so the manifest's match
// patterns are the ones tested). Every request the browser makes is
// recorded: the extension may talk to the configured service only.
//
//   e2e/run.sh extension
import { chromium } from "playwright-core";
import { spawn } from "node:child_process";
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const exe = process.env.APOLINT ?? path.join(process.env.CARGO_TARGET_DIR ?? path.join(root, "target"), "release/apolint");
const screenshot = process.env.SCREENSHOT ?? path.join(root, "docs/extension.png");
const extensionDir = path.join(root, "extension");
const log = (...a) => console.log(...a);

// ---- the desks' pages, and ProseMirror from node_modules ----
const TYPES = { ".html": "text/html; charset=utf-8", ".css": "text/css", ".js": "text/javascript" };
function serveDesk(req, res) {
  const url = new URL(req.url, "http://x");
  if (url.pathname === "/favicon.ico") { res.writeHead(204).end(); return; }
  let file = url.pathname.startsWith("/node_modules/") ? path.join(here, url.pathname) : path.join(here, "desks", url.pathname);
  file = path.normalize(file);
  if (!file.startsWith(here) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) { res.writeHead(404).end(); return; }
  res.writeHead(200, { "Content-Type": TYPES[path.extname(file)] ?? "application/octet-stream" });
  fs.createReadStream(file).pipe(res);
}
// The desks run on HTTPS (several of their domains are HSTS-preloaded):
// a throwaway self-signed certificate, accepted by this test browser only.
const certDir = fs.mkdtempSync(path.join(os.tmpdir(), "apolint-cert-"));
execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=desk.test",
  "-keyout", path.join(certDir, "key.pem"), "-out", path.join(certDir, "cert.pem")], { stdio: "ignore" });
const desks = https.createServer({ key: fs.readFileSync(path.join(certDir, "key.pem")), cert: fs.readFileSync(path.join(certDir, "cert.pem")) }, serveDesk);
await new Promise((r) => desks.listen(0, "127.0.0.1", r));
const deskPort = desks.address().port;
// A desk on plain http://localhost (a self-hosted one), too.
const localDesk = http.createServer(serveDesk);
await new Promise((r) => localDesk.listen(0, "127.0.0.1", r));
const localPort = localDesk.address().port;

// ---- a real apolint serve ----
let serverLog = "";
function startServer() {
  const server = spawn(exe, ["serve", "--listen", "127.0.0.1:0", "--no-config"], { stdio: ["ignore", "ignore", "pipe"] });
  return new Promise((resolve, reject) => {
    let started = false;
    server.stderr.on("data", (d) => {
      serverLog += d;
      const m = serverLog.match(/listening on (http:\/\/[0-9.:]+)/);
      if (m && !started) { started = true; resolve({ server, base: m[1] }); }
    });
    server.on("exit", (code) => { if (!started) reject(new Error(`apolint serve exited with ${code}: ${serverLog}`)); });
    setTimeout(() => reject(new Error("apolint serve did not start: " + serverLog)), 20000);
  });
}
const { server, base } = await startServer();
const checksLogged = () => (serverLog.match(/POST \/v1\/check /g) || []).length;
const rules = new Map((await (await fetch(base + "/v1/rules")).json()).rules.map((r) => [r.id, r]));

// ---- a stand-in service that answers with a "structure" object ----
const fakeSeen = [];
const fake = http.createServer((req, res) => {
  let body = "";
  req.on("data", (d) => (body += d));
  req.on("end", () => {
    fakeSeen.push({ path: req.url, auth: req.headers.authorization ?? null, body });
    res.setHeader("Content-Type", "application/json");
    if (req.url === "/v1/rules") { res.end(JSON.stringify({ rules: [] })); return; }
    const span = { start: 0, end: 5, line: 1, column: 1 };
    const part = (present, expected) => ({ present, expected, span: present ? span : null });
    res.end(JSON.stringify({
      verdict: "warn", language: "en", elapsed_us: 1,
      findings: [{ rule: "en.demo.rule", category: "cliche", severity: "warning", message: "Demo finding.", span, suggestions: [] }],
      structure: { score: 40, parts: { greeting: part(true, true), acknowledgement: part(false, true), apology: part(true, true),
        cause: part(false, true), responsibility: part(false, true), fix: part(false, true), deadline: part(false, true),
        compensation: part(false, false), prevention: part(false, true), closing: part(true, true) } },
    }));
  });
});
await new Promise((r) => fake.listen(0, "127.0.0.1", r));
const fakeBase = `http://127.0.0.1:${fake.address().port}`;

// ---- Chromium with the unpacked extension ----
const profile = fs.mkdtempSync(path.join(os.tmpdir(), "apolint-ext-"));
const DESK_HOSTS = ["localhost", "acme.zendesk.com", "acme.freshdesk.com", "desk.zoho.com", "app.intercom.com",
  "secure.helpscout.net", "seller.wildberries.ru"];
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: process.env.HEADED ? false : true,
  viewport: { width: 1100, height: 700 },
  args: [
    `--disable-extensions-except=${extensionDir}`, `--load-extension=${extensionDir}`,
    // The desks' host names reach the local pages; any other name fails.
    `--host-resolver-rules=${DESK_HOSTS.map((h) => `MAP ${h} 127.0.0.1`).join(", ")}, MAP * ~NOTFOUND, EXCLUDE 127.0.0.1`,
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--ignore-certificate-errors",
  ],
});
const requests = [];
context.on("request", (r) => requests.push({ url: r.url(), fromWorker: !!r.serviceWorker(), method: r.method() }));
const consoleLines = [];
let failed = false;
try {
  let [worker] = context.serviceWorkers();
  if (!worker) worker = await context.waitForEvent("serviceworker", { timeout: 15000 });
  const extensionId = new URL(worker.url()).host;
  log(`extension loaded: ${extensionId} (${worker.url().split("/").pop()})`);
  worker.on?.("console", (m) => consoleLines.push("worker: " + m.text()));

  // Options page: point the extension at the service under test.
  async function configure(serviceUrl, token = "") {
    const page = await context.newPage();
    await page.goto(`chrome-extension://${extensionId}/options.html`);
    await page.fill("#serviceUrl", serviceUrl);
    await page.fill("#token", token);
    await page.click("#save");
    await page.waitForSelector("#status.ok");
    await page.click("#test");
    await page.waitForFunction(() => /Connected|No apolint/.test(document.querySelector("#status").textContent));
    const status = await page.textContent("#status");
    await page.close();
    return status;
  }
  const connected = await configure(base);
  assert.match(connected, /^Connected: apolint .*, \d+ rules\.$/);
  log(`options: ${connected}`);

  const page = await context.newPage();
  page.on("console", (m) => consoleLines.push("page: " + m.type() + " " + m.text()));
  page.on("pageerror", (e) => consoleLines.push("pageerror: " + e));

  // Underlines are redrawn on scroll and resize: look one up until it holds still.
  async function hover(locator) {
    for (let k = 0; k < 20; k++) {
      const b = await locator.boundingBox().catch(() => null);
      if (b) { await page.mouse.move(b.x + Math.min(30, b.width / 2), b.y + b.height / 2); return b; }
      await page.waitForTimeout(50);
    }
    throw new Error("no box for " + locator);
  }
  const deskUrl = (host, file) => host === "localhost" ? `http://localhost:${localPort}/${file}` : `https://${host}:${deskPort}/${file}`;
  const overlay = (scope) => scope.locator("apolint-overlay");

  // Where a phrase really is (a Range over the page's own text) and where
  // its underline was drawn, both in the frame's viewport.
  async function geometry(frame, phrase, rule, textarea) {
    return frame.evaluate(({ phrase, rule, textarea }) => {
      const mark = document.querySelector("apolint-overlay").shadowRoot.querySelector(`.mark[data-rule="${rule}"]`);
      const m = mark.getBoundingClientRect();
      if (textarea) {
        const ta = document.querySelector("textarea");
        const cs = getComputedStyle(ta);
        const ctx = document.createElement("canvas").getContext("2d");
        ctx.font = `${cs.fontStyle} ${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
        const t = ta.getBoundingClientRect();
        return { mark: [m.left, m.top, m.width], want: [null, null, ctx.measureText(phrase).width],
          inside: m.left >= t.left && m.right <= t.right && m.top >= t.top && m.bottom <= t.bottom };
      }
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let n; (n = walker.nextNode());) {
        const i = n.data.indexOf(phrase);
        if (i < 0) continue;
        const r = document.createRange();
        r.setStart(n, i); r.setEnd(n, i + phrase.length);
        const w = r.getBoundingClientRect();
        return { mark: [m.left, m.top, m.width], want: [w.left, w.top, w.width], inside: true };
      }
      return null;
    }, { phrase, rule, textarea });
  }

  // One desk: type the draft, see the underline, hover it, apply a fix.
  async function desk(d) {
    await page.goto(d.url);
    if (d.ready) await page.waitForFunction(d.ready);
    const scope = d.frame ? page.frameLocator(d.frame) : page;
    const frame = d.frame ? page.frame({ url: (u) => u.href !== d.url }) ?? page.frames()[1] : page.mainFrame();
    await scope.locator(d.editor).click();
    await page.keyboard.type(d.text);
    const badge = overlay(scope).locator(".badge");
    await badge.filter({ hasText: `apolint: ${d.verdict}` }).waitFor({ timeout: 10000 });
    const mark = overlay(scope).locator(`.mark[data-rule="${d.rule}"]`).first();
    await mark.waitFor({ state: "attached" });
    const g = await geometry(frame, d.phrase, d.rule, d.textarea);
    assert.ok(g && g.inside, `${d.name}: underline outside the editor: ${JSON.stringify(g)}`);
    for (let k = 0; k < 3; k++) {
      if (g.want[k] == null) continue;
      assert.ok(Math.abs(g.mark[k] - g.want[k]) <= 2, `${d.name}: underline at ${g.mark}, text at ${g.want}`);
    }
    // Hover: message, explanation, examples.
    await hover(mark);
    const cardEl = overlay(scope).locator(".card");
    await cardEl.waitFor({ state: "visible" });
    const card = await cardEl.innerText();
    const doc = rules.get(d.rule);
    assert.ok(card.includes(doc.message), `${d.name}: card lacks the message: ${card}`);
    assert.ok(card.includes(doc.explanation), `${d.name}: card lacks the explanation: ${card}`);
    assert.ok(doc.suggestions.length === 0 || doc.suggestions.some((s) => card.includes(s)), `${d.name}: card lacks the alternatives`);
    if (d.shot) await page.screenshot({ path: d.shot });
    // Quick fix: hover the fixable finding, click its button.
    const fixMark = overlay(scope).locator(`.mark[data-rule="${d.fixRule}"]`).first();
    await hover(fixMark);
    await overlay(scope).locator(".card button.fix").waitFor({ state: "visible" });
    await overlay(scope).locator(".card button.fix").click();
    const model = await (d.frame ? frame : page).waitForFunction(d.model, null, { timeout: 5000 }).then((h) => h.jsonValue());
    await overlay(scope).locator(`.mark[data-rule="${d.fixRule}"]`).waitFor({ state: "detached", timeout: 10000 });
    log(`${d.name}: verdict ${d.verdict}, underline over «${d.phrase}», hover shows message + explanation, ` +
        `fix ${d.fixRule} → desk sees ${JSON.stringify(String(model).slice(-24))}`);
    return { scope, frame };
  }

  const EN = "Hi Maria,\nWe apologize for any inconvenience. Your parcel is on its way!!!";
  const enDesk = (name, host, file, extra) => ({
    name, url: deskUrl(host, file), text: EN, verdict: "warn", rule: "en.cliche.apologize-for-inconvenience",
    phrase: "We apologize for any inconvenience", fixRule: "any.shouting.exclamation-run", ...extra,
  });
  const ceFixed = (sel) => `(() => { const t = document.querySelector(${JSON.stringify(sel)}).innerText.trim(); return t.endsWith("way!") && !t.includes("!!") && t; })()`;

  // 1. Plain textarea, with the debounce measured while typing key by key.
  await page.goto(deskUrl("localhost", "plain.html"));
  await page.click("#reply");
  const before = checksLogged();
  const started = Date.now();
  const typed = "Hello Maria, thank you for waiting. I checked your order and it left our warehouse this morning.";
  await page.keyboard.type(typed, { delay: 20 });
  const typingMs = Date.now() - started;
  await overlay(page).locator(".badge").filter({ hasText: /apolint: (send|warn)/ }).waitFor();
  await page.waitForTimeout(600);
  const sent = checksLogged() - before;
  assert.ok(sent >= 1 && sent <= 3, `${typed.length} keystrokes sent ${sent} checks`);
  log(`debounce: ${typed.length} keystrokes over ${typingMs} ms → ${sent} check request(s)`);
  await page.fill("#reply", "");
  await page.click("#reply");

  const tested = [];
  await desk(enDesk("plain textarea desk", "localhost", "plain.html", {
    editor: "#reply", textarea: true, model: "(() => { const t = window.deskModel.text; return t.endsWith('way!') && t; })()",
  }));
  tested.push("plain textarea (localhost/plain.html)");

  await desk(enDesk("Zendesk (ProseMirror)", "acme.zendesk.com", "zendesk.html", {
    editor: ".ProseMirror", ready: () => window.deskReady,
    model: "(() => { const t = window.pmText(); return t.endsWith('way!') && !t.includes('!!') && t; })()",
  }));
  tested.push("Zendesk-like composer: a real ProseMirror editor (acme.zendesk.com)");

  {
    const { scope, frame } = await desk(enDesk("Freshdesk (Froala in an iframe)", "acme.freshdesk.com", "freshdesk.html", {
      frame: "#reply-frame", editor: ".fr-element", model: ceFixed(".fr-element"),
    }));
    tested.push("Freshdesk-like Froala editor inside a same-origin iframe (acme.freshdesk.com)");
    // The customer's message quoted in the composer (a bare <blockquote>,
    // no "On … wrote:" line) is not linted; the agent's words after it are;
    // a quoted-thread block ends the reply.
    await frame.evaluate(() => {
      const ed = document.querySelector(".fr-element");
      ed.innerHTML = "<p>Hi Sam,</p><blockquote>WHERE IS MY ORDER!!! You should have shipped it as soon as possible.</blockquote>" +
        "<p>We apologize for any inconvenience. It left our warehouse today and arrives on Thursday.</p>" +
        "<div class=\"freshdesk_quote\"><p>YOU PEOPLE ARE USELESS!!!</p></div>";
      ed.dispatchEvent(new InputEvent("input", { bubbles: true }));
    });
    await overlay(scope).locator(`.mark[data-rule="en.cliche.apologize-for-inconvenience"]`).first().waitFor({ state: "attached", timeout: 10000 });
    const rulesShown = await overlay(scope).locator(".mark").evaluateAll((ms) => ms.map((m) => m.dataset.rule));
    assert.ok(!rulesShown.some((r) => /shouting|vague-deadline/.test(r)), `quoted customer text linted: ${rulesShown}`);
    log(`Freshdesk quote: the customer's <blockquote> and the quoted thread left out; marks: ${[...new Set(rulesShown)]}`);
    tested.push("a customer's message quoted in the composer (blockquote, freshdesk_quote) left out");
  }

  await desk(enDesk("Zoho Desk (editable about:blank iframe body)", "desk.zoho.com", "zoho.html", {
    frame: "#zd-editor", editor: "body", model: ceFixed("body"),
  }));
  tested.push("Zoho Desk-like editor: the body of an about:blank iframe (desk.zoho.com)");

  await desk(enDesk("Intercom (contenteditable composer)", "app.intercom.com", "intercom.html", {
    editor: ".embercom-composer", model: ceFixed(".embercom-composer"),
  }));
  // Its composer is positioned with z-index 10 and a background: the
  // badge and the underlines must be what is on top where they are drawn.
  await overlay(page).locator('.mark[data-rule="en.cliche.apologize-for-inconvenience"]').first().waitFor();
  const onTop = await page.evaluate(() => {
    const root = document.querySelector("apolint-overlay").shadowRoot;
    // Hit-tested with pointer events on for the moment (marks let clicks
    // through): what elementFromPoint returns is what is painted on top.
    const hit = (el) => {
      const was = el.style.pointerEvents;
      el.style.pointerEvents = "auto";
      const r = el.getBoundingClientRect();
      const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      el.style.pointerEvents = was;
      return top && top.tagName;
    };
    return [hit(root.querySelector(".badge")), ...[...root.querySelectorAll(".mark")].map(hit)];
  });
  assert.ok(onTop.length > 1 && onTop.every((t) => t === "APOLINT-OVERLAY"), `hidden under the composer: ${onTop}`);
  // A page that removes the overlay (re-rendering <html>'s children) gets
  // a new one at once, with nothing typed or scrolled.
  await page.evaluate(() => document.querySelector("apolint-overlay").remove());
  await overlay(page).locator(".badge").filter({ hasText: "apolint: warn" }).waitFor({ timeout: 3000 });
  await page.keyboard.type(" Sorry!!!");
  await overlay(page).locator(".badge").filter({ hasText: "apolint: warn" }).waitFor({ timeout: 10000 });
  // A desk's own modal over the composer is not drawn over: the layer
  // hides while the editor is covered, and comes back when it is not.
  const layerShown = () => page.evaluate(() => getComputedStyle(document.querySelector("apolint-overlay").shadowRoot.querySelector(".layer")).display !== "none");
  await page.evaluate(() => {
    const m = document.createElement("div");
    m.id = "desk-modal";
    m.style.cssText = "position:fixed;inset:0;z-index:1000;background:rgba(0,0,0,.4)";
    document.body.append(m);
    window.dispatchEvent(new Event("resize"));
  });
  await page.waitForFunction(() => getComputedStyle(document.querySelector("apolint-overlay").shadowRoot.querySelector(".layer")).display === "none", null, { timeout: 5000 });
  await page.evaluate(() => { document.getElementById("desk-modal").remove(); window.dispatchEvent(new Event("resize")); });
  await page.waitForFunction(() => getComputedStyle(document.querySelector("apolint-overlay").shadowRoot.querySelector(".layer")).display !== "none", null, { timeout: 5000 });
  assert.ok(await layerShown());
  log(`Intercom: badge and ${onTop.length - 1} underline(s) above a z-index 10 composer; overlay removed by the page → redrawn; hidden under a desk modal`);
  tested.push("Intercom-like contenteditable composer in a z-indexed box (app.intercom.com)");

  // A textarea in a web component's shadow tree: underlined, and not
  // taken for covered (the document answers hit tests with the host).
  await page.goto(deskUrl("localhost", "shadow.html"));
  await page.locator("desk-composer textarea").click();
  await page.keyboard.type("We apologize for any inconvenience. It ships today!!!");
  await overlay(page).locator(".badge").filter({ hasText: "apolint: warn" }).waitFor({ timeout: 10000 });
  await overlay(page).locator('.mark[data-rule="en.cliche.apologize-for-inconvenience"]').first().waitFor();
  assert.ok(await layerShown(), "a shadow-tree editor's marks were hidden as covered");
  log("shadow tree: a web component's textarea is underlined, not taken for covered");
  tested.push("a textarea in a web component's shadow tree (localhost/shadow.html)");

  await desk(enDesk("Help Scout (Redactor)", "secure.helpscout.net", "helpscout.html", {
    editor: ".redactor-in", model: ceFixed(".redactor-in"),
  }));
  tested.push("Help Scout-like Redactor editor (secure.helpscout.net)");

  await desk({
    name: "marketplace seller cabinet (ru, textarea)", url: deskUrl("seller.wildberries.ru", "marketplace.html"),
    editor: "#feedback-answer", textarea: true,
    text: "Здравствуйте! Приносим свои извинения за доставленные неудобства. Мы же вас предупреждали!!!",
    verdict: "warn", rule: "ru.cliche.prinosim-izvineniya", phrase: "Приносим свои извинения", fixRule: "any.shouting.exclamation-run",
    model: "(() => { const t = window.deskModel.text; return t.endsWith('предупреждали!') && t; })()",
  });
  tested.push("Russian marketplace seller cabinet, answer to a review in a textarea (seller.wildberries.ru)");

  // The screenshot: the Zendesk-like desk, the hover card over the cliché.
  await page.goto(deskUrl("acme.zendesk.com", "zendesk.html"));
  await page.waitForFunction(() => window.deskReady);
  await page.click(".ProseMirror");
  await page.keyboard.type("Hi Maria,\nWe apologize for any inconvenience. As I already mentioned, the courier is responsible for the delay, " +
    "which is beyond our control.\nWe will fix this as soon as possible!!!\nBest regards,\n[Agent Name]");
  await overlay(page).locator(".badge").filter({ hasText: "apolint: block" }).waitFor();
  await hover(overlay(page).locator('.mark[data-rule="en.cliche.apologize-for-inconvenience"]').first());
  await overlay(page).locator(".card").waitFor({ state: "visible" });
  await page.screenshot({ path: screenshot });
  log(`screenshot: ${path.relative(root, screenshot)} (verdict block: an unfilled placeholder)`);

  // The findings panel: badge click lists every finding, whole-draft ones too.
  await page.mouse.move(5, 5);
  await overlay(page).locator(".badge").click();
  const panelText = await overlay(page).locator(".panel").innerText();
  assert.ok(panelText.includes("Verdict: block"), panelText);
  // apolint serve now answers a complaint with its structure (#18): the
  // panel shows the checklist from the real service.
  assert.ok(/Reply structure/.test(panelText), "the real service's structure checklist: " + panelText);
  await overlay(page).locator(".badge").click();

  // A service whose answer has "structure": the checklist is shown; the
  // token is sent as a bearer token.
  const fakeStatus = await configure(fakeBase, "t0ken");
  assert.match(fakeStatus, /No apolint|Connected/);
  await page.goto(deskUrl("localhost", "plain.html"));
  await page.click("#reply");
  await page.keyboard.type("Hello, sorry about that.");
  await overlay(page).locator(".badge").filter({ hasText: "apolint: warn" }).waitFor();
  await overlay(page).locator(".badge").click();
  await overlay(page).locator(".panel .structure").waitFor();
  const parts = await overlay(page).locator(".panel .structure li").evaluateAll((els) => els.map((e) => `${e.dataset.part}:${e.className}`));
  assert.deepEqual(parts.slice(0, 3), ["greeting:present", "acknowledgement:missing", "apology:present"]);
  assert.ok(parts.includes("compensation:optional"), parts.join());
  assert.ok(fakeSeen.some((s) => s.path === "/v1/check" && s.auth === "Bearer t0ken"), JSON.stringify(fakeSeen.map((s) => s.auth)));
  log(`structure checklist: ${parts.join(", ")}; token sent as Authorization: Bearer`);
  await configure(base);

  // The service goes down: a quiet "offline" badge, one attempt per pause.
  server.kill("SIGTERM");
  await new Promise((r) => server.once("exit", r));
  const consoleBefore = consoleLines.length;
  const attemptsBefore = requests.filter((r) => r.url.startsWith(base + "/v1/check")).length;
  await page.goto(deskUrl("acme.zendesk.com", "zendesk.html"));
  await page.waitForFunction(() => window.deskReady);
  await page.click(".ProseMirror");
  await page.keyboard.type("We apologize for any inconvenience.", { delay: 10 });
  await overlay(page).locator(".badge").filter({ hasText: "apolint offline" }).waitFor({ timeout: 10000 });
  await page.waitForTimeout(2500);
  const attempts = requests.filter((r) => r.url.startsWith(base + "/v1/check")).length - attemptsBefore;
  assert.ok(attempts <= 2, `offline: ${attempts} attempts`);
  assert.equal(await overlay(page).locator(".mark").count(), 0);
  const noisy = consoleLines.slice(consoleBefore).filter((l) => !/Failed to load resource|ERR_CONNECTION_REFUSED/.test(l));
  assert.deepEqual(noisy, [], "console messages while offline");
  log(`service down: badge "apolint offline", ${attempts} attempt(s) in 2.5 s idle, no console messages`);

  // Every request: the desks' own pages, the extension's own files, and the
  // configured services; nothing else, and the worker only to the services.
  const allowed = [`:${deskPort}/`, `:${localPort}/`, base + "/", fakeBase + "/", `chrome-extension://${extensionId}/`];
  const stray = requests.filter((r) => !allowed.some((a) => r.url.includes(a)) || (r.fromWorker && !r.url.startsWith(base) && !r.url.startsWith(fakeBase)));
  assert.deepEqual(stray, [], "requests to other hosts");
  const fromWorker = requests.filter((r) => r.fromWorker);
  assert.ok(fromWorker.length > 5, "the worker's requests are recorded");
  log(`requests recorded: ${requests.length}, ${fromWorker.length} from the extension's worker, all to ${base} or the stand-in service ${fakeBase}; none elsewhere`);
  assert.deepEqual(consoleLines.filter((l) => !/Failed to load resource|ERR_CONNECTION_REFUSED/.test(l)), [], "console messages");
  log("reply editors tested:\n  - " + tested.join("\n  - "));
  log("OK");
} catch (e) {
  failed = true;
  console.error(e);
  if (consoleLines.length) console.error("console:\n" + consoleLines.join("\n"));
} finally {
  await context.close();
  server.kill("SIGTERM");
  desks.close();
  localDesk.close();
  fs.rmSync(certDir, { recursive: true, force: true });
  fake.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
