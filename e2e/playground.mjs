// End-to-end test of the playground in headless Chromium (Debian's
// /usr/bin/chromium, driven by playwright-core): loads the page served by a
// real `apolint serve`, types drafts, asserts the highlighted findings, the
// verdict and the structure checklist, applies a quick fix, and saves a screenshot.
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

  // The structure checklist follows the draft as it is typed: a promise
  // with no date lacks the deadline; typing the date completes it.
  await page.click("#clear");
  await page.fill("#customer", "");
  await page.click("#draft");
  await page.keyboard.type("Hi Sam, sorry your parcel arrived late. We will refund the fee.", { delay: 5 });
  await page.waitForFunction(() => document.querySelector('#parts li[data-part="deadline"]')?.classList.contains("missing"));
  const before = await page.evaluate(() => ({
    score: document.querySelector("#score").textContent,
    missing: document.querySelector("#structure-missing")?.textContent,
    deadline: document.querySelector('#parts li[data-part="deadline"]').textContent,
    parts: [...document.querySelectorAll("#parts li")].map((li) => [li.dataset.part, li.className]),
  }));
  const scoreBefore = Number(before.score.split("/")[0]);
  assert.match(before.score, /^\d+\/100$/, before.score);
  assert.ok(scoreBefore < 100, `score ${before.score} with a part missing`);
  assert.equal(before.missing, "says by when");
  assert.match(before.deadline, /✗\s*Says by when.*missing/, "missing is said in words, not only in colour");
  assert.equal(before.parts.length, 10, JSON.stringify(before.parts));
  assert.deepEqual(before.parts.filter(([, c]) => c === "missing").map(([p]) => p), ["deadline"]);
  assert.ok(before.parts.some(([, c]) => c === "unexpected"), "parts not expected are shown greyed");
  console.log(`checklist: ${before.score}, missing «${before.missing}»; ` +
    before.parts.map(([p, c]) => `${p}=${c}`).join(" "));
  // Hovering a present part highlights its span; a click keeps it.
  await page.hover('#parts li[data-part="apology"] button');
  await page.waitForSelector('#part-highlights mark.part[data-part="apology"]');
  assert.equal(await page.textContent("#part-highlights mark.part"), "sorry");
  await page.click('#parts li[data-part="fix"] button');
  await page.mouse.move(5, 5);
  await page.waitForFunction(() => document.querySelector("#part-highlights mark.part")?.dataset.part === "fix");
  const fix = await page.textContent("#part-highlights mark.part");
  assert.equal(await page.getAttribute('#parts li[data-part="fix"] button', "aria-pressed"), "true");
  console.log(`hover highlights «sorry» (apology); click pins «${fix}» (fix)`);
  // Type the missing deadline at the end of the draft.
  await page.click("#draft");
  await page.keyboard.press("End");
  await page.keyboard.press("Backspace");
  await page.keyboard.type(" by Friday.", { delay: 5 });
  await page.waitForFunction(() => document.querySelector('#parts li[data-part="deadline"]')?.classList.contains("present"));
  const after = await page.evaluate(() => ({
    score: document.querySelector("#score").textContent,
    missing: document.querySelector("#structure-missing"),
    missingParts: document.querySelectorAll("#parts li.missing").length,
    note: document.querySelector("#structure-note").textContent,
  }));
  assert.equal(after.missing, null, "no part listed as missing");
  assert.equal(after.missingParts, 0);
  assert.ok(Number(after.score.split("/")[0]) > scoreBefore, `${before.score} → ${after.score}`);
  console.log(`typed " by Friday.": ${before.score} → ${after.score}, nothing missing (${JSON.stringify(after.note)})`);
  // Praise answers no complaint: no checklist.
  await page.fill("#draft", "Thank you so much for the kind words about our team!");
  await page.waitForFunction(() => document.querySelector("#structure-note").textContent.startsWith("No checklist"));
  assert.equal(await page.$$eval("#parts li", (els) => els.length), 0);
  console.log("praise: no checklist");

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
  // The checklist of the Russian example, with its apology shown in the draft.
  await page.waitForSelector('#parts li[data-part="apology"] button');
  const ruMissing = await page.$$eval("#parts li.missing", (els) => els.map((e) => e.dataset.part));
  console.log(`ru example checklist: ${await page.textContent("#score")}, missing ${ruMissing.join(", ")}`);
  await page.hover('#parts li[data-part="apology"] button');
  await page.waitForSelector("#part-highlights mark.part");
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
