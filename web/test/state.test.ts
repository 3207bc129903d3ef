// The message state model (src/client/state.ts): change entries and sync snapshots fold into
// the same state whatever order they arrive in and however often each repeats.
import { describe, expect, it } from "vitest";
import type { MessageState } from "@parley/protocol";
import { applyEntry, applySnapshot, emptyState, reactionOf, shown, type ChangeEntry, type LocalState } from "../src/client/state";

type Input = { entry: ChangeEntry } | { snapshot: MessageState };

const edit = (seq: number, body: string): Input => ({ entry: { seq, ts: seq * 1000, from: "alice", kind: "edit", target: 2, body } });
const react = (seq: number, from: string, body: string): Input => ({ entry: { seq, ts: seq * 1000, from, kind: "react", target: 2, body } });
const unreact = (seq: number, from: string): Input => ({ entry: { seq, ts: seq * 1000, from, kind: "unreact", target: 2 } });
const del = (seq: number): Input => ({ entry: { seq, ts: seq * 1000, from: "alice", kind: "delete", target: 2 } });

function fold(inputs: Input[]): LocalState {
  return inputs.reduce(
    (state, input) => ("entry" in input ? applyEntry(state, input.entry) : applySnapshot(state, input.snapshot)),
    emptyState(),
  );
}

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

/** Every order of the inputs, each also with every input repeated, gives what `expected` shows. */
function expectSameEverywhere(inputs: Input[]) {
  const reference = shown(fold(inputs));
  for (const order of permutations(inputs)) {
    expect(shown(fold(order))).toEqual(reference);
    expect(shown(fold([...order, ...order.slice().reverse()]))).toEqual(reference);
  }
  return reference;
}

describe("message state", () => {
  it("the newest edit wins, in any order and with repeats", () => {
    const result = expectSameEverywhere([edit(3, "one"), edit(5, "two"), edit(4, "between")]);
    expect(result).toEqual({ editedBody: "two", deleted: false, reactions: [] });
  });

  it("one reaction per person: replaced, removed, counted with who reacted", () => {
    const result = expectSameEverywhere([
      react(3, "bob", "👍"),
      react(4, "carol", "👍"),
      react(5, "dave", "😂"),
      react(6, "bob", "😂"),
      unreact(7, "carol"),
      react(8, "erin", "😂"),
    ]);
    expect(result.reactions).toEqual([{ emoji: "😂", users: ["dave", "bob", "erin"] }]);
  });

  it("a deletion hides the text's edits and every reaction", () => {
    const result = expectSameEverywhere([edit(3, "typo fixed"), react(4, "bob", "👍"), del(5)]);
    expect(result).toEqual({ deleted: true, reactions: [] });
  });

  it("a snapshot drops a reaction it no longer has; entries it covers are not applied again", () => {
    // Bob reacted at 3 and removed it at 6; this device saw only the reaction, then a sync's
    // snapshot at version 6 (after both), then the reaction again (a sync repeat).
    const snapshot: MessageState = { version: 6, edited: { seq: 4, ts: 4000, body: "edited" }, reactions: { carol: { seq: 5, body: "🎉" } } };
    const result = expectSameEverywhere([react(3, "bob", "👍"), { snapshot }, react(5, "carol", "🎉"), edit(4, "edited")]);
    expect(result).toEqual({ editedBody: "edited", deleted: false, reactions: [{ emoji: "🎉", users: ["carol"] }] });
  });

  it("changes after a snapshot's version still apply; an older snapshot changes nothing", () => {
    const old: MessageState = { version: 4, reactions: { bob: { seq: 3, body: "👍" } } };
    const newer: MessageState = { version: 7, reactions: { bob: { seq: 3, body: "👍" }, carol: { seq: 7, body: "❤️" } } };
    const result = expectSameEverywhere([{ snapshot: old }, { snapshot: newer }, unreact(8, "bob"), edit(9, "later")]);
    expect(result).toEqual({ editedBody: "later", deleted: false, reactions: [{ emoji: "❤️", users: ["carol"] }] });
  });

  it("a user's own reaction is known, and gone once removed or deleted", () => {
    expect(reactionOf(fold([react(3, "bob", "👍")]), "bob")).toBe("👍");
    expect(reactionOf(fold([react(3, "bob", "👍"), unreact(4, "bob")]), "bob")).toBeUndefined();
    expect(reactionOf(fold([react(3, "bob", "👍"), del(4)]), "bob")).toBeUndefined();
    expect(reactionOf(undefined, "bob")).toBeUndefined();
  });
});
