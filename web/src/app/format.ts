/** How times, days and message previews read in the UI (the browser's locale). */
import { shown, timerLabel, type PresenceState, type StoredMessage } from "../client";

export function timeOf(ts: number): string {
  return new Date(ts).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

/** A calendar day in local time, for day separators. */
export function dayKey(ts: number): string {
  const d = new Date(ts);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

export function dayLabel(ts: number, now = Date.now()): string {
  if (dayKey(ts) === dayKey(now)) return "Today";
  if (dayKey(ts) === dayKey(now - 86_400_000)) return "Yesterday";
  return new Date(ts).toLocaleDateString(undefined, { weekday: "long", year: "numeric", month: "long", day: "numeric" });
}

/** A moment to come or past, in full: "today at 14:02", else the date and the time. */
export function whenText(ts: number, now = Date.now()): string {
  const at = timeOf(ts);
  if (dayKey(ts) === dayKey(now)) return `today at ${at}`;
  if (dayKey(ts) === dayKey(now + 86_400_000)) return `tomorrow at ${at}`;
  return `${new Date(ts).toLocaleDateString()} at ${at}`;
}

/** The list's short time: the hour today, else the date. */
export function listTime(ts: number, now = Date.now()): string {
  return dayKey(ts) === dayKey(now) ? timeOf(ts) : new Date(ts).toLocaleDateString();
}

/**
 * Whether a message is shown as a line of the chat rather than a bubble: a group's membership
 * change, or a disappearing-messages timer set. Lines count as no unread and notify nothing.
 */
export function isLine(message: StoredMessage): boolean {
  return message.system !== undefined || message.kind === "timer";
}

export function systemText(message: StoredMessage, label: (userId: string) => string): string {
  const who = label(message.from);
  if (message.kind === "timer") {
    const seconds = message.seconds ?? 0;
    return seconds > 0 ? `${who} set disappearing messages to ${timerLabel(seconds)}` : `${who} turned off disappearing messages`;
  }
  const system = message.system!;
  const names = system.members.map(label).join(", ");
  switch (system.event) {
    case "created":
      return `${who} created the group “${system.name}”`;
    case "added":
      return `${who} added ${names}`;
    case "removed":
      return `${who} removed ${names}`;
    case "left":
      return `${names} left`;
  }
}

/** A chat header's presence line: "online", "last seen today at 14:02", or nothing known. */
export function lastSeenText(state: PresenceState, now = Date.now()): string {
  switch (state.kind) {
    case "online":
      return "online";
    case "offline": {
      if (state.lastSeen === undefined) return "";
      const at = timeOf(state.lastSeen);
      if (dayKey(state.lastSeen) === dayKey(now)) return `last seen today at ${at}`;
      if (dayKey(state.lastSeen) === dayKey(now - 86_400_000)) return `last seen yesterday at ${at}`;
      return `last seen ${new Date(state.lastSeen).toLocaleDateString()} at ${at}`;
    }
    default:
      return "";
  }
}

export function preview(message: StoredMessage, label: (userId: string) => string): string {
  if (isLine(message)) return systemText(message, label);
  const view = shown(message.state);
  if (view.deleted) return "This message was deleted";
  const text = view.editedBody ?? message.body ?? (message.attachment ? `File: ${message.attachment.name}` : message.sealed !== undefined ? "🔒 Encrypted message" : "");
  return message.own ? `You: ${text}` : text;
}
