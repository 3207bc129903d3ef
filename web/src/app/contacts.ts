/**
 * Who a user id is, for display: the email or phone a `lookup` answered with. The protocol
 * has no way from an id back to an address, so people are named by what this browser has
 * looked up (kept in localStorage per signed-in user) and otherwise by a short id.
 */
import { RequestError, type ParleyClient } from "../client";

export interface Contact {
  userId: string;
  label: string;
}

export class Contacts {
  private readonly labels: Record<string, string>;
  private readonly key: string;

  constructor(
    private readonly me: { userId: string; username: string },
    private readonly storage: Storage | undefined = globalThis.localStorage,
  ) {
    this.key = `parley.contacts.${me.userId}`;
    this.labels = JSON.parse(this.storage?.getItem(this.key) ?? "{}") as Record<string, string>;
    this.labels[me.userId] = me.username;
  }

  label(userId: string): string {
    if (userId === this.me.userId) return "You";
    return this.labels[userId] ?? `user ${userId.slice(0, 8)}`;
  }

  /** Looks addresses up (emails and E.164 phones); remembers and returns those registered. */
  async lookup(client: ParleyClient, addresses: string[]): Promise<{ found: Contact[]; missing: string[] }> {
    const wanted = addresses.map((a) => a.trim()).filter((a) => a !== "");
    const phones = wanted.filter((a) => /^\+\d+$/.test(a));
    const emails = wanted.filter((a) => !phones.includes(a));
    const reply = await client.request({
      action: "lookup",
      ...(emails.length > 0 ? { emails } : {}),
      ...(phones.length > 0 ? { phones } : {}),
    });
    if (reply.type !== "users") throw new RequestError("internal", `unexpected ${reply.type}`);
    const found: Contact[] = [];
    const matched = new Set<string>();
    for (const user of reply.users) {
      const label = user.email ?? user.phone ?? user.userId;
      this.labels[user.userId] = label;
      found.push({ userId: user.userId, label });
      matched.add(label.toLowerCase());
    }
    this.storage?.setItem(this.key, JSON.stringify(this.labels));
    return { found, missing: wanted.filter((a) => !matched.has(a.toLowerCase())) };
  }
}
