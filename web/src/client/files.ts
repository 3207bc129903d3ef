/**
 * Files, as docs/protocol.md "Files" describes them: the rules a file must meet (checked
 * before anything is asked of the server, so the user hears why at once), then the upload
 * through the presigned PUT with exactly the signed headers, reporting progress, and the
 * attachment to send once the bytes are in.
 *
 * The rules are the protocol crate's (protocol/src/limits.rs, protocol/src/client/files.rs);
 * test/files.test.ts reads those Rust sources and fails if these lists drift from them.
 */
import type { Attachment, ConversationId, FrameOf } from "./protocol";

export const MAX_FILE_BYTES = 100 * 1024 * 1024;
export const MAX_FILE_NAME_BYTES = 255;
export const MAX_CONTENT_TYPE_LEN = 127;
export const ALLOWED_TOP_LEVEL: readonly string[] = ["application", "audio", "font", "image", "model", "text", "video"];
/** Types a browser would run in place if it rendered them: the server refuses them. */
export const REFUSED_TYPES: readonly string[] = [
  "text/html",
  "application/xhtml+xml",
  "image/svg+xml",
  "text/javascript",
  "application/javascript",
  "application/ecmascript",
];

/** What the picker or a drop hands over (a `File` satisfies it). */
export interface FileLike {
  name: string;
  size: number;
  type: string;
}

export type FileCheck = { ok: true; contentType: string } | { ok: false; reason: string };

const TOKEN = /^[A-Za-z0-9!#$&^_.+-]+$/;

/** Whether the server will accept the file, and the content type to declare for it. */
export function checkFile(file: FileLike): FileCheck {
  // A browser gives no type for files it does not recognise: declare them as plain bytes.
  const contentType = (file.type === "" ? "application/octet-stream" : file.type).toLowerCase();
  const [top = "", sub = "", ...rest] = contentType.split("/");
  const nameBytes = new TextEncoder().encode(file.name).length;
  if (file.size === 0) return { ok: false, reason: "The file is empty." };
  if (file.size > MAX_FILE_BYTES) {
    return { ok: false, reason: `The file is ${formatBytes(file.size)}; files are at most 100 MiB.` };
  }
  if (nameBytes === 0 || nameBytes > MAX_FILE_NAME_BYTES || /\p{Cc}/u.test(file.name)) {
    return { ok: false, reason: "The file name must be 1–255 bytes of text." };
  }
  if (rest.length > 0 || contentType.length > MAX_CONTENT_TYPE_LEN || !TOKEN.test(top) || !TOKEN.test(sub)) {
    return { ok: false, reason: `Files of type “${contentType}” cannot be sent.` };
  }
  if (!ALLOWED_TOP_LEVEL.includes(top) || REFUSED_TYPES.includes(contentType)) {
    return {
      ok: false,
      reason: `Files of type “${contentType}” cannot be sent: a browser could run them as a page or script.`,
    };
  }
  return { ok: true, contentType };
}

export function formatBytes(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KiB`;
  return `${(size / 1024 / 1024).toFixed(1)} MiB`;
}

/** Browsers set these themselves from the body; a page may not (forbidden header names). */
const SET_BY_BROWSER = new Set(["content-length", "host"]);

/**
 * The headers to set on the PUT: those the URL's signature covers (`X-Amz-SignedHeaders`), but
 * not those the browser sets itself. A header the signature does not cover is not needed by
 * S3, and each extra header must be allowed by the bucket's CORS rule (which allows only
 * `content-type`): the local files function's replies carry an unsigned `x-amzn-trace-id`
 * (the SDK's recursion-detection header), whose preflight the bucket refuses.
 */
export function headersToSend(url: string, headers: Record<string, string>): Record<string, string> {
  const signed = new URL(url).searchParams.get("X-Amz-SignedHeaders");
  const covered = signed === null ? undefined : new Set(signed.toLowerCase().split(";"));
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => {
      const lower = name.toLowerCase();
      return !SET_BY_BROWSER.has(lower) && (covered === undefined || covered.has(lower));
    }),
  );
}

/**
 * PUTs `body` to a presigned URL with the signed headers, calling `progress(sent, total)` as
 * bytes leave (XHR: fetch has no upload progress in Chromium without streaming bodies, which
 * need HTTP/2). Resolves when S3 answers 2xx.
 */
export function putWithProgress(
  reply: Pick<FrameOf<"uploadUrl">, "url" | "method" | "headers">,
  body: Blob,
  progress: (sent: number, total: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(reply.method, reply.url);
    for (const [name, value] of Object.entries(headersToSend(reply.url, reply.headers))) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => progress(event.loaded, event.lengthComputable ? event.total : body.size);
    xhr.onload = () =>
      xhr.status >= 200 && xhr.status < 300
        ? resolve()
        : reject(new Error(`the upload was refused (HTTP ${xhr.status})`));
    xhr.onerror = () => reject(new Error("the upload failed (network)"));
    xhr.onabort = () => reject(new Error("the upload was cancelled"));
    signal?.addEventListener("abort", () => xhr.abort());
    xhr.send(body);
  });
}

/** Where an upload goes: a conversation, or (a first message) the direct chat with a user. */
export type UploadTarget = { conversation: ConversationId } | { toUser: string };

/** The attachment to send for an upload reserved under `key`. */
export function attachmentFor(key: string, file: FileLike, contentType: string): Attachment {
  return { key, name: file.name, contentType, size: file.size };
}
