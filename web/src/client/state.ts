/**
 * A message's state after the changes made to it (edit, delete for everyone, reactions), as
 * the client folds them in: docs/protocol.md "Changes to messages", memo §9.1.
 *
 * Two things arrive about a message's state: change entries (one field each, live or synced)
 * and, from `sync`, a snapshot (`state`) of every change up to its `version`. Folding must not
 * depend on the order they arrive in nor on repeats, since live frames, sync pages and the
 * 30 s of repeats a sync may bring cross each other:
 * - each field is the newest by seq (the newest edit wins; a user's newest reaction or
 *   removal wins, a removal being a tombstone that keeps its seq);
 * - a snapshot is complete up to its version: an entry at or below the highest version seen
 *   (`covered`) is already in it, and what the client held at or below that version but the
 *   snapshot no longer has (a reaction removed since) is dropped;
 * - a deletion hides the edit and the reactions (the server keeps none after it).
 * So `fold` of the same inputs in any order, with any repeats, gives the same state.
 */
import type { MessageState } from "@parley/protocol";

/** A user's reaction (`body`, the emoji), or its removal (no `body`) by the entry at `seq`. */
export interface ReactionMark {
  seq: number;
  body?: string;
}

export interface LocalState {
  /** The highest snapshot version folded in (0: none). */
  covered: number;
  edited?: { seq: number; ts: number; body: string };
  deleted?: { seq: number; ts: number; by: string };
  reactions: Record<string, ReactionMark>;
}

/** A change entry as the client holds it: a `message` frame with a `kind` and a `target`. */
export interface ChangeEntry {
  seq: number;
  ts: number;
  from: string;
  kind: "edit" | "delete" | "react" | "unreact" | "timer";
  target: number;
  body?: string;
}

export function emptyState(): LocalState {
  return { covered: 0, reactions: {} };
}

function newer<T extends { seq: number }>(a: T | undefined, b: T | undefined): T | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return b.seq > a.seq ? b : a;
}

/** Folds one change entry into a state (a new object; the argument is left as it was). */
export function applyEntry(state: LocalState, entry: ChangeEntry): LocalState {
  if (entry.seq <= state.covered) return state;
  const next: LocalState = { ...state, reactions: { ...state.reactions } };
  switch (entry.kind) {
    case "edit": {
      const edited = newer(state.edited, { seq: entry.seq, ts: entry.ts, body: entry.body ?? "" });
      if (edited !== undefined) next.edited = edited;
      break;
    }
    case "delete": {
      const deleted = newer(state.deleted, { seq: entry.seq, ts: entry.ts, by: entry.from });
      if (deleted !== undefined) next.deleted = deleted;
      break;
    }
    case "react":
    case "unreact": {
      const mark: ReactionMark = entry.kind === "react" ? { seq: entry.seq, body: entry.body ?? "" } : { seq: entry.seq };
      next.reactions[entry.from] = newer(state.reactions[entry.from], mark)!;
      break;
    }
  }
  return next;
}

/** Folds a snapshot from `sync` into a state. */
export function applySnapshot(state: LocalState, snapshot: MessageState): LocalState {
  if (snapshot.version <= state.covered) return state;
  const version = snapshot.version;
  const above = <T extends { seq: number }>(value: T | undefined) => (value !== undefined && value.seq > version ? value : undefined);
  const next: LocalState = { covered: version, reactions: {} };
  const edited = newer(above(state.edited), snapshot.edited);
  if (edited !== undefined) next.edited = edited;
  const deleted = newer(above(state.deleted), snapshot.deleted);
  if (deleted !== undefined) next.deleted = deleted;
  for (const [user, mark] of Object.entries(state.reactions)) if (mark.seq > version) next.reactions[user] = mark;
  for (const [user, reaction] of Object.entries(snapshot.reactions ?? {})) {
    next.reactions[user] = newer({ seq: reaction.seq, body: reaction.body }, next.reactions[user])!;
  }
  return next;
}

/** What the UI shows of a state. */
export interface Shown {
  /** The newest edit's text, if edited and not deleted. */
  editedBody?: string;
  deleted: boolean;
  /** Each emoji with who chose it, most chosen first (ties: first chosen first). */
  reactions: { emoji: string; users: string[] }[];
}

export function shown(state: LocalState | undefined): Shown {
  if (state === undefined) return { deleted: false, reactions: [] };
  if (state.deleted !== undefined) return { deleted: true, reactions: [] };
  const byEmoji = new Map<string, { users: string[]; first: number }>();
  const marks = Object.entries(state.reactions).sort(([, a], [, b]) => a.seq - b.seq);
  for (const [user, mark] of marks) {
    if (mark.body === undefined) continue;
    const group = byEmoji.get(mark.body) ?? { users: [], first: mark.seq };
    group.users.push(user);
    byEmoji.set(mark.body, group);
  }
  const reactions = [...byEmoji.entries()]
    .sort(([, a], [, b]) => b.users.length - a.users.length || a.first - b.first)
    .map(([emoji, { users }]) => ({ emoji, users }));
  return { ...(state.edited !== undefined ? { editedBody: state.edited.body } : {}), deleted: false, reactions };
}

/** The emoji a user reacted with, if any. */
export function reactionOf(state: LocalState | undefined, user: string): string | undefined {
  if (state === undefined || state.deleted !== undefined) return undefined;
  return state.reactions[user]?.body;
}
