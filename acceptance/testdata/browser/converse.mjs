// The browser side of the web-transport acceptance test: one headless
// Debian Chromium (driven by playwright-core) for the whole test binary.
// Each line on stdin is one exchange, as JSON:
//
//   {"id": "...", "page": URL, "say": TEXT, "hear": TEXT, "screenshot": FILE,
//    "service": URL (optional), "timeout": SECONDS, "verbose": BOOL}
//
// For each, in a browser context of its own (fresh cookies and storage),
// page.html is loaded, where converse.js logs in over WebSocket or BOSH
// and joins a room; this script then waits for the room to be entered,
// types a groupchat message into converse's text area as a person would,
// waits for the peer's answer to appear in the room's history, and saves
// a screenshot of the page. Exchanges run at once.
//
// Every output line starts with the exchange's id; the last one for an id
// is "ID DONE" or "ID FAIL reason". When stdin closes, the script waits
// for the running exchanges, closes the browser and exits 0; it exits 1
// when the browser does not start.
//
//   node converse.mjs [--timeout 30]    (the browser's start timeout)

import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";

let opts;
try {
  ({ values: opts } = parseArgs({ options: { timeout: { type: "string", default: "30" } } }));
} catch (err) {
  console.error(`usage: ${err.message}`);
  process.exit(2);
}

let browser;
try {
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    timeout: Number(opts.timeout) * 1000,
    // playwright gives the browser a fresh profile directory of its own.
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
} catch (err) {
  console.error(`converse.js: the browser did not start: ${err.message}`);
  process.exit(1);
}

async function exchange(job, step) {
  const t0 = Date.now();
  const log = (text) => step(`converse.js: ${((Date.now() - t0) / 1000).toFixed(1)}s ${text}`);
  const timeout = Number(job.timeout || 30) * 1000;
  const context = await browser.newContext({ viewport: { width: 1100, height: 700 } });
  const page = await context.newPage();
  let timer;
  try {
    page.setDefaultTimeout(timeout);
    page.on("console", (m) => {
      if (job.verbose || m.type() === "error") step(`  page ${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (err) => step(`  page exception: ${err.message}`));
    const run = async () => {
      await page.goto(job.page);
      log("page loaded");
      await page.waitForFunction(() => window.muctest && window.muctest.connected);
      const service = await page.evaluate(() => window.muctest.service);
      if (job.service && service !== job.service) {
        throw new Error(`connected to ${service}, want ${job.service}`);
      }
      log(`logged in over ${service}`);
      // converse shows the room's text area once the room is entered.
      const textarea = page.locator("converse-muc textarea.chat-textarea");
      await textarea.waitFor({ state: "visible" });
      log("room open");
      await textarea.fill(job.say);
      await textarea.press("Enter");
      log(`said ${JSON.stringify(job.say)}`);
      // Our own message comes back from the room, then the peer's answer.
      await page.locator(".chat-msg__text", { hasText: job.say }).first().waitFor();
      await page.locator(".chat-msg__text", { hasText: job.hear }).first().waitFor();
      log(`heard ${JSON.stringify(job.hear)}`);
    };
    await Promise.race([run(), new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${job.timeout}s`)), timeout);
    })]);
    await page.screenshot({ path: job.screenshot });
    log(`screenshot ${job.screenshot}`);
  } catch (err) {
    await page.screenshot({ path: job.screenshot }).catch(() => {});
    throw err;
  } finally {
    clearTimeout(timer);
    await context.close().catch(() => {});
  }
}

const running = new Set();
const rl = createInterface({ input: process.stdin });
rl.on("line", (line) => {
  let job;
  try {
    job = JSON.parse(line);
    for (const k of ["id", "page", "say", "hear", "screenshot"]) {
      if (!job[k]) throw new Error(`"${k}" is required`);
    }
  } catch (err) {
    console.log(`${job?.id || "?"} FAIL bad job ${JSON.stringify(line)}: ${err.message}`);
    return;
  }
  const step = (text) => { for (const l of String(text).split("\n")) console.log(`${job.id} ${l}`); };
  const p = exchange(job, step).then(
    () => step("DONE"),
    (err) => step(`FAIL converse.js: ${err.message.replaceAll("\n", " ")}`),
  );
  running.add(p);
  p.finally(() => running.delete(p));
});
rl.on("close", async () => {
  await Promise.allSettled([...running]);
  await browser.close().catch(() => {});
  process.exit(0);
});
