// The browser side of the web-transport acceptance test: headless Debian
// Chromium (driven by playwright-core) loads page.html, where converse.js
// logs in over WebSocket or BOSH and joins a room; this script then waits
// for the room to be entered, types a groupchat message into converse's
// text area as a person would, waits for the peer's answer to appear in
// the room's history, and saves a screenshot of the page.
//
//   node converse.mjs --page URL --say TEXT --hear TEXT --screenshot FILE
//     [--service URL] [--timeout 30] [--verbose] [--wait-stdin]
//
// With --wait-stdin the browser starts at once but loads the page only
// once a line arrives on stdin: the test starts Chromium while the peer
// is still logging in, and says go when the peer is in the room.
//
// Exit codes: 0 success, 1 failed step or timeout, 2 bad arguments.

import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";

let opts;
try {
  ({ values: opts } = parseArgs({
    options: {
      page: { type: "string" },
      say: { type: "string" },
      hear: { type: "string" },
      screenshot: { type: "string" },
      service: { type: "string" }, // the endpoint converse.js must be connected to
      timeout: { type: "string", default: "30" },
      verbose: { type: "boolean", short: "v", default: false },
      "wait-stdin": { type: "boolean", default: false },
    },
  }));
  for (const k of ["page", "say", "hear", "screenshot"]) {
    if (!opts[k]) throw new Error(`--${k} is required`);
  }
} catch (err) {
  console.error(`usage: ${err.message}`);
  process.exit(2);
}

const timeout = Number(opts.timeout) * 1000;
const t0 = Date.now();
const step = (text) => console.log(`converse.js: ${((Date.now() - t0) / 1000).toFixed(1)}s ${text}`);

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  timeout,
  // playwright gives the browser a fresh profile directory of its own.
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
let page;
const killer = setTimeout(async () => {
  console.error(`converse.js: timed out after ${opts.timeout}s`);
  if (page) await page.screenshot({ path: opts.screenshot }).catch(() => {});
  process.exit(1);
}, timeout);
try {
  const context = await browser.newContext({ viewport: { width: 1100, height: 700 } });
  page = await context.newPage();
  page.setDefaultTimeout(timeout);
  page.on("console", (m) => {
    if (opts.verbose || m.type() === "error") console.log(`  page ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (err) => console.log(`  page exception: ${err.message}`));
  if (opts["wait-stdin"]) {
    step("browser started, waiting for the go line");
    const rl = createInterface({ input: process.stdin });
    await new Promise((resolve, reject) => {
      rl.once("line", resolve);
      rl.once("close", () => reject(new Error("stdin closed before the go line")));
    });
    rl.close();
  }
  await page.goto(opts.page);
  step("page loaded");
  await page.waitForFunction(() => window.muctest && window.muctest.connected);
  const service = await page.evaluate(() => window.muctest.service);
  if (opts.service && service !== opts.service) {
    throw new Error(`connected to ${service}, want ${opts.service}`);
  }
  step(`logged in over ${service}`);
  // converse shows the room's text area once the room is entered.
  const textarea = page.locator("converse-muc textarea.chat-textarea");
  await textarea.waitFor({ state: "visible" });
  step("room open");
  await textarea.fill(opts.say);
  await textarea.press("Enter");
  step(`said ${JSON.stringify(opts.say)}`);
  // Our own message comes back from the room, then the peer's answer.
  await page.locator(".chat-msg__text", { hasText: opts.say }).first().waitFor();
  await page.locator(".chat-msg__text", { hasText: opts.hear }).first().waitFor();
  step(`heard ${JSON.stringify(opts.hear)}`);
  await page.screenshot({ path: opts.screenshot });
  step(`screenshot ${opts.screenshot}`);
  clearTimeout(killer);
  await browser.close();
  process.exit(0);
} catch (err) {
  console.error(`converse.js: ${err.message}`);
  if (page) await page.screenshot({ path: opts.screenshot }).catch(() => {});
  await browser.close().catch(() => {});
  process.exit(1);
}
