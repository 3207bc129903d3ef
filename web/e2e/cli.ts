/**
 * The `parley` CLI (the Rust client library's command line, built by `cargo build --workspace
 * --bins`) as a second client of the scenarios' stack: a person with a data folder of their
 * own, signed up, confirmed and signed in through the CLI itself, and `parley --json chat`
 * run as a child process whose JSON lines are read as they come (as cli/tests drive it).
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { PASSWORD, uniqueEmail } from "./browser";
import type { Stack } from "./stack";

const root = fileURLToPath(new URL("../..", import.meta.url));
export const PARLEY = process.env.PARLEY_BIN ?? `${root}target/debug/parley`;
export const CANARY_SCAN = process.env.CANARY_SCAN_BIN ?? `${root}target/debug/canary-scan`;

export interface CliUser {
  email: string;
  userId: string;
  /** Its data folder (PARLEY_HOME): the library's database and keys. */
  home: string;
}

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end, with a bound on how long it may take. */
export function run(program: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 60_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`${program} ${args.join(" ")} did not end within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function cliEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PARLEY_HOME: home, PARLEY_PASSWORD: PASSWORD };
  delete env.PARLEY_STACK;
  return env;
}

/** `parley --json --stack <stack.json> args…` in the user's data folder. */
export function parley(stack: Stack, home: string, args: string[]): Promise<Ran> {
  return run(PARLEY, ["--json", "--stack", stack.stackFile, ...args], cliEnv(home));
}

/** The one JSON line a successful command printed. */
function jsonOf(ran: Ran, what: string): Record<string, unknown> {
  if (ran.code !== 0) throw new Error(`${what} exited ${ran.code}:\n${ran.stdout}\n${ran.stderr}`);
  return JSON.parse(ran.stdout.trim()) as Record<string, unknown>;
}

/** A person on the CLI: signup, the code from the local outbox URL it printed, confirm, login. */
export async function cliSignUp(stack: Stack, name: string): Promise<CliUser> {
  const home = mkdtempSync(`${tmpdir()}/parley-web-e2e-${name}-`);
  const email = uniqueEmail(name);
  const signedUp = jsonOf(await parley(stack, home, ["signup", email]), "parley signup");
  const outbox = (await (await fetch(signedUp.outbox as string)).json()) as { messages: { code: string }[] };
  jsonOf(await parley(stack, home, ["confirm", email, outbox.messages[0]!.code]), "parley confirm");
  const login = jsonOf(await parley(stack, home, ["login", email]), "parley login");
  return { email, userId: login.userId as string, home };
}

/** A running `parley --json chat <with>`: its JSON lines as they come, lines typed on its stdin. */
export interface CliChat {
  /** The first line `wanted` accepts (earlier and later lines are kept in `seen`). */
  line: (what: string, wanted: (line: Record<string, unknown>) => boolean, timeoutMs?: number) => Promise<Record<string, unknown>>;
  seen: Record<string, unknown>[];
  /** Types a line: a message, or a `/command`. */
  type: (text: string) => void;
  /** Ends its input (Ctrl-D) and waits for it to exit: its exit code and stderr. */
  end: () => Promise<{ code: number | null; stderr: string }>;
}

export function cliChat(stack: Stack, user: CliUser, withWhom: string): CliChat {
  const child: ChildProcessWithoutNullStreams = spawn(PARLEY, ["--json", "--stack", stack.stackFile, "chat", withWhom], {
    env: cliEnv(user.home),
    stdio: ["pipe", "pipe", "pipe"],
  });
  const seen: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout }).on("line", (text) => {
    seen.push(JSON.parse(text) as Record<string, unknown>);
    for (const wake of waiters.splice(0)) wake();
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return {
    seen,
    line: (what, wanted, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const deadline = setTimeout(() => reject(new Error(`the CLI printed no ${what} within ${timeoutMs} ms:\n${JSON.stringify(seen, null, 1)}\n${stderr}`)), timeoutMs);
        const look = () => {
          const found = seen.find(wanted);
          if (found !== undefined) {
            clearTimeout(deadline);
            resolve(found);
          } else {
            waiters.push(look);
          }
        };
        look();
      }),
    type: (text) => child.stdin.write(`${text}\n`),
    end: async () => {
      child.stdin.end();
      return { code: await exited, stderr };
    },
  };
}
