/**
 * Whom the user blocks, as the server holds it (the same on all of the user's devices): the
 * `blocks` listing the client asks for on every connect replaces the list; a `blocked` frame
 * (the answer to this device's `block`, or another device's change, live, without `id`)
 * changes one user. Kept in memory only: each connect brings the list again.
 *
 * Blocking is private (the blocked user is told nothing); what it changes on this side is the
 * server's doing: their entries come as `skip` (sync.ts), and a direct message to them is
 * refused `forbidden` (docs/protocol.md, "Blocking").
 */
export class BlockList {
  private readonly users = new Set<string>();
  private listed = false;

  /** Whether the listing has come since this page loaded (before it, nobody seems blocked). */
  get known(): boolean {
    return this.listed;
  }

  has(user: string): boolean {
    return this.users.has(user);
  }

  /** Every blocked user, in the order they were learnt. */
  list(): string[] {
    return [...this.users];
  }

  /** One user blocked or unblocked; whether that changed anything. */
  apply(user: string, blocked: boolean): boolean {
    if (this.users.has(user) === blocked) return false;
    if (blocked) this.users.add(user);
    else this.users.delete(user);
    return true;
  }

  /** The whole list from `blocks`. */
  replace(users: readonly string[]): void {
    this.users.clear();
    for (const user of users) this.users.add(user);
    this.listed = true;
  }
}
