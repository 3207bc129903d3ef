// The composer's text rules (src/app/compose.ts): a reply's preview within the protocol's 256
// bytes, the `@` being typed, and which members a text mentions.
import { describe, expect, it } from "vitest";
import { mentionQuery, mentionsIn, quotePreview } from "../src/app/compose";

describe("composing", () => {
  it("a quote's preview is at most 100 characters and 256 bytes, never cutting a character", () => {
    expect(quotePreview("short")).toBe("short");
    expect([...quotePreview("x".repeat(300))]).toHaveLength(100);
    const emoji = quotePreview("😀".repeat(100));
    expect(new TextEncoder().encode(emoji).length).toBe(256);
    expect(emoji).toBe("😀".repeat(64));
  });

  it("the @-word before the caret is the query; none inside a word or after a space", () => {
    expect(mentionQuery("hi @bo", 6)).toBe("bo");
    expect(mentionQuery("@", 1)).toBe("");
    expect(mentionQuery("mail me@home", 12)).toBeUndefined();
    expect(mentionQuery("hi @bob and", 11)).toBeUndefined();
    expect(mentionQuery("hi @bob and", 7)).toBe("bob");
  });

  it("mentions are the members whose @name the text holds", () => {
    const labels: Record<string, string> = { b: "bob@example.com", c: "carol@example.com" };
    expect(mentionsIn("@bob@example.com, see this", ["b", "c"], (id) => labels[id]!)).toEqual(["b"]);
    expect(mentionsIn("carol@example.com without the at", ["b", "c"], (id) => labels[id]!)).toEqual([]);
  });
});
