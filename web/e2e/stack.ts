/**
 * The local stack the browser scenarios run against, started by the test run itself: the
 * devstack binary (built by `cargo build --workspace --bins`) on free ports, serving the built
 * app (web/dist), stopped when its stdin closes (so it never outlives the run).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface Stack {
  webUrl: string;
  awsEndpoint: string;
  websocketUrl: string;
  /** The stack description (`stack.json`), for the `parley` CLI and the canary scan. */
  stackFile: string;
  /** The devstack's log: its own lines and every function's. */
  logFile: string;
  /** Every `@connections` post body (`--record-posts`), for the canary scan. */
  postsFile: string;
  stop: () => Promise<void>;
}

const root = fileURLToPath(new URL("../..", import.meta.url));

export async function startStack(dir: string): Promise<Stack> {
  mkdirSync(dir, { recursive: true });
  const stackFile = `${dir}/stack.json`;
  const logFile = `${dir}/devstack.log`;
  const postsFile = `${dir}/posts.record`;
  // The recorder appends: this run's posts only.
  rmSync(postsFile, { force: true });
  const log = createWriteStream(logFile);
  const binary = process.env.DEVSTACK_BIN ?? `${root}target/debug/devstack`;
  const child: ChildProcess = spawn(
    binary,
    ["--gateway-port", "0", "--aws-port", "0", "--web-port", "0", "--web-dir", `${root}web/dist`, "--stack-file", stackFile, "--record-posts", postsFile, "--exit-on-stdin-eof"],
    { cwd: root, stdio: ["pipe", "pipe", "pipe"] },
  );
  child.stderr?.pipe(log);
  let banner = "";
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      banner += chunk.toString();
      log.write(chunk);
      if (banner.includes("devstack ready:")) resolve(banner);
    });
    child.on("exit", (code) => reject(new Error(`devstack exited (${code}) before it served; see ${dir}/devstack.log`)));
    child.on("error", reject);
  });
  const text = await withTimeout(ready, 120_000, `devstack did not start; see ${dir}/devstack.log`);
  const webUrl = /devstack: web app\s+(http\S+)/.exec(text)?.[1];
  if (webUrl === undefined) throw new Error(`the devstack serves no web app (is web/dist built?):\n${text}`);
  const description = JSON.parse(readFileSync(stackFile, "utf8")) as { awsEndpoint: string; websocketUrl: string };
  return {
    webUrl,
    awsEndpoint: description.awsEndpoint,
    websocketUrl: description.websocketUrl,
    stackFile,
    logFile,
    postsFile,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.on("exit", () => resolve());
        child.stdin?.end();
      }),
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
