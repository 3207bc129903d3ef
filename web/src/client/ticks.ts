/**
 * Ticks on one's own messages: pending (clock) → sent (✓, stored) → delivered (✓✓) → read
 * (blue ✓✓). A tick never moves backwards, whatever order receipts arrive in.
 *
 * Receipts are cumulative per conversation and member (`ack` covers everything up to `seq`),
 * so the state kept is each member's highest delivered and read seq. A message is delivered
 * (read) when every recipient has delivered (read) up to its seq: in a direct chat the one
 * other member, in a group every member of the message's time other than its sender (the
 * server sends one receipt per acking member, docs/protocol.md "Groups"). Read implies
 * delivered.
 */
export type Tick = "pending" | "sent" | "delivered" | "read";
export type AckStatusLike = "delivered" | "read";

const RANK: Record<Tick, number> = { pending: 0, sent: 1, delivered: 2, read: 3 };

/** The later of two ticks: the state machine's only transition function. */
export function advance(current: Tick, proposed: Tick): Tick {
  return RANK[proposed] > RANK[current] ? proposed : current;
}

/** Each member's highest acknowledged seq, per status. */
export type ReceiptMarks = Record<string, { delivered: number; read: number }>;

/** Records a receipt; marks only move up, and read implies delivered. */
export function applyReceipt(marks: ReceiptMarks, by: string, status: AckStatusLike, seq: number): ReceiptMarks {
  const current = marks[by] ?? { delivered: 0, read: 0 };
  const next = { ...current };
  if (status === "read") next.read = Math.max(next.read, seq);
  next.delivered = Math.max(next.delivered, next.read, status === "delivered" ? seq : 0);
  return { ...marks, [by]: next };
}

/**
 * The tick the receipts justify for an own, stored message at `seq` sent to `recipients`.
 * With no recipient known (not yet learnt), any member's receipt counts.
 */
export function tickFromReceipts(seq: number, recipients: readonly string[], marks: ReceiptMarks): Tick {
  const who = recipients.length > 0 ? recipients : Object.keys(marks);
  if (who.length === 0) return "sent";
  const reached = (status: AckStatusLike) => who.every((user) => (marks[user]?.[status] ?? 0) >= seq);
  if (reached("read")) return "read";
  if (reached("delivered")) return "delivered";
  return "sent";
}
