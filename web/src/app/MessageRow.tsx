/**
 * One message: its sender (in groups), text or file, time and, on one's own messages, the tick
 * (clock → ✓ → ✓✓ → blue ✓✓), each tick named for screen readers.
 */
import { useEffect, useState } from "preact/hooks";
import type { OutboxRecord, Sealed, StoredMessage, Tick } from "../client";
import type { Attachment as AttachmentType } from "../client/protocol";
import { formatBytes, isSealed, type SealedAttachment } from "../client";
import { timeOf } from "./format";
import type { ChatModel } from "./model";

const TICKS: Record<Tick, { glyph: string; label: string }> = {
  pending: { glyph: "", label: "Sending" },
  sent: { glyph: "✓", label: "Sent" },
  delivered: { glyph: "✓✓", label: "Delivered" },
  read: { glyph: "✓✓", label: "Read" },
};

/** A clock drawn, not an emoji: not every system has an emoji font. */
function Clock() {
  return (
    <svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true">
      <circle cx="8" cy="8" r="6.5" fill="none" stroke="currentColor" stroke-width="1.5" />
      <path d="M8 4v4l2.5 2" fill="none" stroke="currentColor" stroke-width="1.5" />
    </svg>
  );
}

export function TickMark(props: { tick: Tick }) {
  const { glyph, label } = TICKS[props.tick];
  return (
    <span class={`tick ${props.tick}`} role="img" aria-label={label} data-tick={props.tick}>
      {props.tick === "pending" ? <Clock /> : glyph}
    </span>
  );
}

export function MessageRow(props: { model: ChatModel; message: StoredMessage }) {
  const { message, model } = props;
  const group = model.summary(message.conversation)?.record.kind === "group";
  return (
    <div class={`bubble ${message.own ? "own" : "theirs"}`} data-seq={message.seq}>
      {group && !message.own && <p class="from">{model.contacts.label(message.from)}</p>}
      {message.attachment !== undefined && <Attachment model={model} attachment={message.attachment} />}
      {message.body !== undefined && <p class="body">{message.body}</p>}
      {message.sealed !== undefined && <p class="body sealed" data-sealed={message.sealed.state}>{sealedText(message.sealed)}</p>}
      <p class="meta">
        <time dateTime={new Date(message.ts).toISOString()}>{timeOf(message.ts)}</time>
        {message.own && message.tick !== undefined && <TickMark tick={message.tick} />}
      </p>
    </div>
  );
}

/** What shows in place of a message that came encrypted and does not decrypt (yet). */
export function sealedText(sealed: Sealed): string {
  switch (sealed.state) {
    case "waiting":
      return "Waiting for the key to decrypt this message…";
    case "beforeDevice":
      return "Sent before this device signed in: it cannot be decrypted here.";
    case "undecryptable":
      return "This message cannot be decrypted.";
  }
}

export function PendingRow(props: { model: ChatModel; record: OutboxRecord }) {
  const { record, model } = props;
  const frame = record.frame;
  return (
    <div class="bubble own pending" data-outbox={record.id}>
      {frame.attachment !== undefined && <p class="file">File: {(record.plain?.attachment ?? frame.attachment).name}</p>}
      {(record.plain?.body ?? frame.body) !== undefined && <p class="body">{record.plain?.body ?? frame.body}</p>}
      <p class="meta">
        {record.state === "failed" ? (
          <span role="alert" class="error">
            Not sent: {record.error?.message ?? "refused"}{" "}
            <button type="button" onClick={() => void model.client.outbox.discard(record.id)}>Discard</button>
          </span>
        ) : (
          <TickMark tick="pending" />
        )}
      </p>
    </div>
  );
}

/** Download URLs live 300 s; reuse one for a while instead of asking per render. */
const urls = new Map<string, { url: string; until: number }>();

async function urlFor(model: ChatModel, key: string): Promise<string> {
  const cached = urls.get(key);
  if (cached !== undefined && cached.until > Date.now()) return cached.url;
  const url = await model.client.downloadUrl(key);
  urls.set(key, { url, until: Date.now() + 240_000 });
  return url;
}

/**
 * An encrypted file's bytes, decrypted, as a `data:` URL (for an image: the Content-Security-
 * Policy's img-src allows `data:`, not `blob:`).
 */
async function sealedDataUrl(model: ChatModel, attachment: SealedAttachment): Promise<string> {
  const bytes = await model.client.fetchSealedFile(attachment);
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error("could not read the file"));
    reader.readAsDataURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: attachment.contentType }));
  });
}

/** An encrypted file's bytes, decrypted, as a `blob:` URL to save (revoked a minute later). */
async function sealedBlobUrl(model: ChatModel, attachment: SealedAttachment): Promise<string> {
  const bytes = await model.client.fetchSealedFile(attachment);
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: attachment.contentType }));
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return url;
}

function Attachment(props: { model: ChatModel; attachment: AttachmentType | SealedAttachment }) {
  const { attachment, model } = props;
  const image = attachment.contentType.startsWith("image/");
  const [src, setSrc] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  // Asked again when the connection comes back (a chat opened offline shows its images then).
  useEffect(() => {
    if (image && src === undefined && model.online) {
      const url = isSealed(attachment) ? sealedDataUrl(model, attachment) : urlFor(model, attachment.key);
      url.then(setSrc, (e: unknown) => setError(e instanceof Error ? e.message : String(e)));
    }
  }, [attachment.key, model.online]);
  const download = async () => {
    try {
      const link = document.createElement("a");
      link.href = isSealed(attachment) ? await sealedBlobUrl(model, attachment) : await urlFor(model, attachment.key);
      link.download = attachment.name;
      link.rel = "noopener";
      link.click();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <div class="attachment">
      {image && src !== undefined && <img src={src} alt={attachment.name} loading="lazy" />}
      <button type="button" class="link" onClick={download}>
        Download {attachment.name} ({formatBytes(attachment.size)})
      </button>
      {error !== undefined && (
        <span role="alert" class="error">
          {" "}Cannot fetch the file now: {error}
        </span>
      )}
    </div>
  );
}
