// End-to-end test of the playground in headless Chromium (Debian's
// /usr/bin/chromium, driven by playwright-core): loads the page served by a
// real `apolint serve`, types drafts, asserts the highlighted findings and
// the verdict, applies a quick fix, and saves a screenshot.
//
//   apt-get install -y chromium && (cd e2e && npm ci) && e2e/run.sh
import { launchChromium } from "./browser.mjs";
import { spawn } from "node:child_process";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const exe = process.env.APOLINT ?? path.join(root, "target/release/apolint");
const screenshot = process.env.SCREENSHOT ?? path.join(root, "docs/playground.png");

const server = spawn(exe, ["serve", "--listen", "127.0.0.1:0", "--no-config"], { stdio: ["ignore", "ignore", "pipe"] });
const base = await new Promise((resolve, reject) => {
  let log = "";
  server.stderr.on("data", (d) => {
    log += d;
    const m = log.match(/listening on (http:\/\/[0-9.:]+)/);
    if (m) resolve(m[1]);
  });
  server.on("exit", (code) => reject(new Error(`apolint serve exited with ${code}: ${log}`)));
  setTimeout(() => reject(new Error("apolint serve did not start: " + log)), 20000);
});

const browser = await launchChromium();
let failed = false;
try {
  const page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("requestfailed", (r) => errors.push("request failed: " + r.url()));
  await page.goto(base + "/");

  // The Russian example loads with the page: wrong name, placeholder → block.
  await page.waitForSelector("#verdict.block");
  const ruRules = await page.$$eval("#findings li.finding", (els) => els.map((e) => e.dataset.rule));
  for (const r of ["ru.name-mismatch.greeting", "ru.cliche.prinosim-izvineniya", "ru.passive-aggression.zhe-posle-mestoimeniya"]) {
    assert.ok(ruRules.includes(r), `${r} missing from ${ruRules}`);
  }
  assert.ok(ruRules.some((r) => r.startsWith("any.placeholder.")), `no placeholder finding in ${ruRules}`);
  const marks = await page.$$eval("#highlights mark", (els) => els.map((e) => e.textContent));
  assert.ok(marks.includes("Ольга"), `«Ольга» not highlighted: ${JSON.stringify(marks)}`);
  assert.ok(marks.some((m) => m.startsWith("Приносим свои извинения")), `cliché not highlighted: ${JSON.stringify(marks)}`);
  console.log(`ru example: verdict block, ${ruRules.length} findings, ${marks.length} highlights`);

  // Type an English draft key by key, as an agent would.
  await page.click("#clear");
  await page.fill("#customer", "Maria");
  await page.click("#draft");
  await page.keyboard.type("Hi Maria, we apologize for any inconvenience. As I already mentioned, your refund was sent today at 10:00!!!", { delay: 5 });
  await page.waitForFunction(() => document.querySelector("#verdict").textContent === "warn" &&
    [...document.querySelectorAll("#highlights mark")].some((m) => m.textContent === "!!!"));
  const en = await page.$$eval("#findings li.finding", (els) => els.map((e) => e.dataset.rule));
  assert.ok(en.some((r) => r.startsWith("en.cliche.")), `no English cliché in ${en}`);
  assert.ok(en.some((r) => r.startsWith("en.passive-aggression.")), `no passive aggression in ${en}`);
  const enMarks = await page.$$eval("#highlights mark", (els) => els.map((e) => [e.textContent, e.className]));
  assert.ok(enMarks.some(([t, c]) => t === "!!!" && c === "warning"), JSON.stringify(enMarks));
  console.log(`typed en draft: verdict warn, findings ${en.join(", ")}`);

  // Apply the quick fix for "!!!".
  await page.click('li[data-rule="any.shouting.exclamation-run"] .fix button');
  await page.waitForFunction(() => !document.querySelector('li[data-rule="any.shouting.exclamation-run"]'));
  const text = await page.inputValue("#draft");
  assert.ok(text.endsWith("at 10:00!"), text);
  console.log("quick fix applied: " + JSON.stringify(text.slice(-20)));

  // A hard-wrapped draft: the cliché runs across the line break, and its
  // highlight covers both lines, with "e.g." before the example.
  await page.fill("#customer", "");
  await page.fill("#draft", "Hello,\n\nWe apologize for any\ninconvenience this caused.");
  // (Until the answer for this text arrives, the previous findings are
  // still painted over it.)
  await page.waitForFunction(() =>
    [...document.querySelectorAll("#highlights mark")].some((m) => m.textContent === "We apologize for any\ninconvenience"));
  const wrapped = await page.$$eval("#highlights mark", (els) => els.map((e) => e.textContent));
  assert.ok(wrapped.includes("We apologize for any\ninconvenience"), JSON.stringify(wrapped));
  const example = await page.textContent('li[data-rule="en.cliche.apologize-for-inconvenience"] .sugg b');
  assert.equal(example, "e.g.");
  console.log("hard-wrapped draft: highlight spans two lines, suggestion shown as an example");

  // Wrong customer name blocks; back to the Russian example for the screenshot.
  await page.click("#example-ru");
  await page.waitForSelector("#verdict.block");
  await page.waitForFunction(() => document.querySelectorAll("#highlights mark").length > 3);
  await page.screenshot({ path: screenshot });
  console.log("screenshot: " + screenshot);
  assert.deepEqual(errors, [], "page errors");
  console.log("OK");
} catch (e) {
  failed = true;
  console.error(e);
} finally {
  await browser.close();
  server.kill("SIGTERM");
}
process.exit(failed ? 1 : 0);
