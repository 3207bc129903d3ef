/** What the composer works out from the text: a reply's quote, `@` suggestions, mentions. */

/** The quote's preview: at most this many characters, and the protocol's 256 bytes. */
const PREVIEW_CHARS = 100;
const PREVIEW_BYTES = 256;

/** The start of a message's text for a quote, within the protocol's limit. */
export function quotePreview(text: string): string {
  const encoder = new TextEncoder();
  let out = "";
  for (const char of text) {
    if ([...out].length >= PREVIEW_CHARS || encoder.encode(out + char).length > PREVIEW_BYTES) break;
    out += char;
  }
  return out;
}

/** The `@word` being typed just before the caret, if any. */
export function mentionQuery(text: string, caret: number): string | undefined {
  return /(?:^|\s)@([^\s@]*)$/.exec(text.slice(0, caret))?.[1];
}

/** The members whose `@name` the text holds. */
export function mentionsIn(text: string, members: string[], label: (id: string) => string): string[] {
  return members.filter((id) => text.includes(`@${label(id)}`));
}
