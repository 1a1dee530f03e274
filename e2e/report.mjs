// Opens an `apolint audit` HTML report in headless Chromium (Debian's
// /usr/bin/chromium via playwright-core), checks that its charts rendered
// (SVG bars, the trend line, the agent comparison, the structure section,
// highlighted samples)
// with no console errors or failed requests, and saves a screenshot.
//
//   e2e/run.sh report       (builds apolint, makes a synthetic export, audits it)
import { launchChromium } from "./browser.mjs";
import assert from "node:assert/strict";
import path from "node:path";

const report = process.argv[2];
const screenshot = process.env.SCREENSHOT ?? path.resolve("../docs/audit-report.png");
assert.ok(report, "usage: node report.mjs REPORT.html");

const browser = await launchChromium();
let failed = false;
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 1800 } });
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") problems.push(m.text()); });
  page.on("pageerror", (e) => problems.push(String(e)));
  page.on("requestfailed", (r) => problems.push("request failed: " + r.url()));
  page.on("request", (r) => { if (!r.url().startsWith("file:")) problems.push("network request: " + r.url()); });
  await page.goto("file://" + path.resolve(report));
  const bars = await page.$$eval("#by-category rect", (els) => els.map((e) => Number(e.getAttribute("width"))));
  assert.ok(bars.length >= 5, `category chart has ${bars.length} bars`);
  assert.ok(bars.every((w) => w > 0), `zero-width bars: ${bars}`);
  const trend = await page.$$eval("#trend path", (els) => els.map((e) => e.getAttribute("d")));
  assert.equal(trend.length, 2, "trend has two lines");
  assert.ok(trend[0].split("L").length >= 6, `trend line has too few points: ${trend[0]}`);
  const agents = await page.$$eval("#by-agent rect", (els) => els.length);
  assert.ok(agents >= 5, `agent chart has ${agents} bars`);
  const marks = await page.$$eval("#samples mark", (els) => els.length);
  assert.ok(marks >= 5, `samples have ${marks} highlights`);
  const phrases = await page.$$eval("#phrases tr", (els) => els.length);
  assert.ok(phrases >= 10, `phrase table has ${phrases} rows`);
  const canned = await page.$$eval("#canned tr", (els) => els.length);
  assert.ok(canned >= 3, `canned table has ${canned} rows`);
  // The structure of the replies to a complaint (#18): the score
  // histogram, the parts most often missing, per agent and per macro.
  const median = Number(await page.textContent("#structure-median"));
  assert.ok(median >= 0 && median <= 100, `median structure score ${median}`);
  const tenths = await page.$$eval("#structure-histogram rect", (els) => els.map((e) => Number(e.getAttribute("height"))));
  assert.equal(tenths.length, 10, "a column per tenth of the score scale");
  assert.ok(tenths.filter((v) => v > 0).length >= 2, `score histogram ${tenths}`);
  const missing = await page.$$eval("#missing-parts rect", (els) => els.map((e) => Number(e.getAttribute("width"))));
  assert.ok(missing.length >= 3 && missing.every((w) => w > 0), `missing parts chart ${missing}`);
  const missingRows = await page.$$eval("#missing-parts-table tr", (els) => els.slice(1).map((e) => [...e.cells].map((c) => c.textContent).join(" · ")));
  assert.equal(missingRows.length, missing.length, "each missing part has its figures");
  const byAgent = await page.$$eval("#structure-by-agent tr", (els) => els.slice(1).map((e) => e.querySelectorAll("td")[3].textContent));
  assert.ok(byAgent.length >= 5 && byAgent.every((m) => /^\d+$/.test(m)), `agent medians ${byAgent}`);
  const sparks = await page.$$eval("#structure-by-agent svg.spark", (els) => els.length);
  assert.equal(sparks, byAgent.length, "a small histogram per agent");
  const byMacro = await page.$$eval("#structure-by-canned tr", (els) => els.length - 1);
  assert.ok(byMacro >= 2, `structure by canned response has ${byMacro} rows`);
  console.log(`structure: median ${median}, histogram ${tenths.map(Math.round)}, ${missing.length} parts missing (top: ${missingRows[0]}), ${byAgent.length} agents, ${byMacro} canned responses`);
  // Every chart is visible, not collapsed.
  for (const id of ["#by-category", "#trend", "#by-agent", "#structure-histogram", "#missing-parts"]) {
    const box = await page.locator(id).boundingBox();
    assert.ok(box && box.width > 300 && box.height > 100, `${id} box ${JSON.stringify(box)}`);
  }
  assert.deepEqual(problems, [], "console errors or network requests");
  await page.screenshot({ path: screenshot, fullPage: false });
  console.log(`report OK: ${bars.length} category bars, ${agents} agents, ${marks} highlights; screenshot ${screenshot}`);
} catch (e) {
  failed = true;
  console.error(e);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
