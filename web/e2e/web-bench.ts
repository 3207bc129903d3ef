// `make web-bench`: what Parley Web costs a person, measured (asserting nothing) in headless
// Chromium against a local stack this run starts: the JavaScript shipped on first load
// (gzipped; the budget is 200 KB), the time from navigation to the conversation list (a
// signed-in reload), and the time to open a conversation of 10,000 messages (from the click
// to its latest message on screen). Writes target/web-bench/report.json.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, it } from "vitest";
import type { Browser } from "playwright-core";
import { launch, seedConversation, signUp } from "./browser";
import { startStack, type Stack } from "./stack";

const DIST = new URL("../dist/", import.meta.url).pathname;
const OUT = new URL("../../target/web-bench/", import.meta.url).pathname;
const MESSAGES = 10_000;
const RUNS = 5;

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack(new URL("../../target/web-bench/stack", import.meta.url).pathname);
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** The scripts index.html loads (entry and preloads), gzipped as a server would send them. */
function firstLoadJs(): { files: Record<string, number>; gzipBytes: number } {
  const html = readFileSync(`${DIST}index.html`, "utf8");
  const scripts = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
  const files = Object.fromEntries(scripts.map((file) => [file, gzipSync(readFileSync(`${DIST}${file}`), { level: 9 }).length]));
  return { files, gzipBytes: Object.values(files).reduce((a, b) => a + b, 0) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

it("measures Parley Web", async () => {
  const js = firstLoadJs();
  const user = await signUp(browser, stack, "bench");
  await seedConversation(user, MESSAGES);

  const toList: number[] = [];
  const toConversation: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    await user.page.reload();
    const list = user.page.getByRole("button", { name: new RegExp(`Message ${MESSAGES}:`) });
    await list.waitFor();
    toList.push(await user.page.evaluate(() => performance.getEntriesByName("parley:chats-shown")[0]!.startTime));
    // From the click to the latest message on screen, timed inside the page.
    toConversation.push(
      await user.page.evaluate(
        (last) =>
          new Promise<number>((resolve) => {
            const started = performance.now();
            const shown = () => [...document.querySelectorAll(".bubble .body")].some((b) => b.textContent?.startsWith(last));
            const observer = new MutationObserver(() => {
              if (shown()) {
                observer.disconnect();
                resolve(performance.now() - started);
              }
            });
            observer.observe(document.body, { childList: true, subtree: true, characterData: true });
            (document.querySelector("button.conversation") as HTMLButtonElement).click();
          }),
        `Message ${MESSAGES}:`,
      ),
    );
    // The list renders only what is on screen.
    if (run === 0) {
      const rendered = await user.page.locator(".messages .row").count();
      console.log(`rows in the DOM for ${MESSAGES} messages: ${rendered}`);
    }
  }
  const report = {
    firstLoadJsGzipBytes: js.gzipBytes,
    firstLoadJsBudgetBytes: 200 * 1024,
    firstLoadJsFiles: js.files,
    loadToConversationListMs: { median: Math.round(median(toList)), runs: toList.map(Math.round) },
    openConversationMs: { messages: MESSAGES, median: Math.round(median(toConversation)), runs: toConversation.map(Math.round) },
  };
  mkdirSync(OUT, { recursive: true });
  writeFileSync(`${OUT}report.json`, `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report, null, 2));
});
