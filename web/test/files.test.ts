// The file rules the client checks before uploading: the protocol crate's, read from its Rust
// source here so the two cannot drift apart silently.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ALLOWED_TOP_LEVEL, checkFile, headersToSend, MAX_CONTENT_TYPE_LEN, MAX_FILE_BYTES, MAX_FILE_NAME_BYTES, REFUSED_TYPES } from "../src/client/files";

const rust = (path: string) => readFileSync(new URL(`../../protocol/src/${path}`, import.meta.url), "utf8");
const stringList = (source: string, name: string) => {
  const body = new RegExp(`const ${name}: \\[&str; \\d+\\] = \\[([^\\]]*)\\]`).exec(source)?.[1];
  return [...(body ?? "").matchAll(/"([^"]+)"/g)].map((m) => m[1]);
};

describe("file rules", () => {
  it("are the protocol crate's", () => {
    const files = rust("client/files.rs");
    const limits = rust("limits.rs");
    expect(stringList(files, "ALLOWED_TOP_LEVEL")).toEqual([...ALLOWED_TOP_LEVEL]);
    expect(stringList(files, "REFUSED_TYPES")).toEqual([...REFUSED_TYPES]);
    expect(limits).toContain("pub const MAX_FILE_BYTES: u64 = 100 * 1024 * 1024;");
    expect(MAX_FILE_BYTES).toBe(100 * 1024 * 1024);
    expect(limits).toContain(`pub const MAX_FILE_NAME_BYTES: usize = ${MAX_FILE_NAME_BYTES};`);
    expect(limits).toContain(`pub const MAX_CONTENT_TYPE_LEN: usize = ${MAX_CONTENT_TYPE_LEN};`);
  });

  it("accept ordinary files and declare their type, lowercased", () => {
    expect(checkFile({ name: "cat.PNG", size: 2048, type: "Image/PNG" })).toEqual({ ok: true, contentType: "image/png" });
    expect(checkFile({ name: "notes", size: 1, type: "" })).toEqual({ ok: true, contentType: "application/octet-stream" });
    expect(checkFile({ name: "a.pdf", size: MAX_FILE_BYTES, type: "application/pdf" }).ok).toBe(true);
  });

  it("refuse, with a reason, what the server would refuse", () => {
    const refused = (file: { name: string; size: number; type: string }, says: RegExp) => {
      const check = checkFile(file);
      expect(check.ok).toBe(false);
      if (!check.ok) expect(check.reason).toMatch(says);
    };
    refused({ name: "big.mp4", size: MAX_FILE_BYTES + 1, type: "video/mp4" }, /at most 100 MiB/);
    refused({ name: "empty.txt", size: 0, type: "text/plain" }, /empty/);
    refused({ name: "page.html", size: 10, type: "text/html" }, /run them as a page/);
    refused({ name: "logo.svg", size: 10, type: "image/svg+xml" }, /run them as a page/);
    refused({ name: "app.js", size: 10, type: "text/javascript" }, /cannot be sent/);
    refused({ name: "x", size: 10, type: "x-evil/thing" }, /cannot be sent/);
    refused({ name: "x".repeat(256), size: 10, type: "text/plain" }, /1–255 bytes/);
  });
});

describe("the presigned PUT's headers", () => {
  it("are the signed ones the page may set", () => {
    const url =
      "http://127.0.0.1:1/bucket/c/x/a.png?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost&X-Amz-Signature=00";
    const given = { "content-length": "68", "content-type": "image/png", "x-amzn-trace-id": "Root=1-abc" };
    expect(headersToSend(url, given)).toEqual({ "content-type": "image/png" });
    // A URL without the parameter (not SigV4 query signing): everything but what browsers set.
    expect(headersToSend("http://127.0.0.1:1/b/k", given)).toEqual({ "content-type": "image/png", "x-amzn-trace-id": "Root=1-abc" });
  });
});
