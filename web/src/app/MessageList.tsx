/**
 * The messages of a chat as a virtualized list (TanStack Virtual, anchored at the end as a chat
 * is): day separators between days, lines for membership changes and timers set, the outbox's
 * messages last. Scrolling near the top loads the previous page; the message in view stays put.
 *
 * A day separator is drawn in the row of the day's first message, not as a row of its own:
 * the library keeps the view still across a prepend by finding the top row's key again, and
 * a separator row would keep its key while the messages above it arrive.
 */
import type { OutboxRecord, StoredMessage } from "../client";
import { useEffect, useRef } from "preact/hooks";
import { dayKey, dayLabel, isLine, systemText } from "./format";
import { MessageRow, PendingRow, type RowActions } from "./MessageRow";
import type { ChatModel } from "./model";
import { useVirtualizer } from "./virtual";

type Row =
  | { key: string; kind: "system"; text: string; day?: string }
  | { key: string; kind: "message"; message: StoredMessage; day?: string }
  | { key: string; kind: "pending"; record: OutboxRecord; day?: string };

function rows(messages: StoredMessage[], pending: OutboxRecord[], label: (id: string) => string): Row[] {
  const out: Row[] = [];
  let day = "";
  const stored = new Set<string>();
  for (const message of messages) {
    const separator = dayKey(message.ts) !== day ? { day: dayLabel(message.ts) } : {};
    day = dayKey(message.ts);
    if (message.own) stored.add(message.id);
    out.push(
      isLine(message)
        ? { key: `m-${message.seq}`, kind: "system", text: systemText(message, label), ...separator }
        : { key: `m-${message.seq}`, kind: "message", message, ...separator },
    );
  }
  for (const record of pending) {
    // A change on its way shows nowhere (its target changes on `sent`); refused, it says why.
    if (record.frame.kind !== undefined && record.state !== "failed") continue;
    if (!stored.has(record.id)) out.push({ key: `p-${record.id}`, kind: "pending", record });
  }
  return out;
}

export function MessageList(props: {
  model: ChatModel;
  messages: StoredMessage[];
  pending: OutboxRecord[];
  hasOlder: boolean;
  loadOlder: () => Promise<void>;
  actions: RowActions;
  /** A message to bring into view and highlight (a quote was tapped); `n` repeats a jump. */
  focus: { seq: number; n: number } | undefined;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const loading = useRef(false);
  const list = rows(props.messages, props.pending, (id) => props.model.contacts.label(id));
  const virtualizer = useVirtualizer({
    count: list.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => 56,
    getItemKey: (index) => list[index]?.key ?? index,
    anchorTo: "end",
    followOnAppend: true,
    scrollEndThreshold: 80,
    overscan: 8,
  });

  // Start at the latest message once the first page is in.
  const started = useRef(false);
  useEffect(() => {
    if (!started.current && list.length > 0) {
      started.current = true;
      virtualizer.scrollToEnd();
    }
  }, [list.length]);

  // A tapped quote: scroll its original into the middle of the view (ChatView loaded it).
  const focusIndex = props.focus === undefined ? -1 : list.findIndex((row) => row.key === `m-${props.focus!.seq}`);
  useEffect(() => {
    if (focusIndex >= 0) virtualizer.scrollToIndex(focusIndex, { align: "center" });
  }, [props.focus?.n, focusIndex]);

  const items = virtualizer.getVirtualItems();
  const firstIndex = items[0]?.index ?? 0;
  useEffect(() => {
    if (!props.hasOlder || loading.current || !started.current || firstIndex > 3) return;
    loading.current = true;
    void props.loadOlder().finally(() => {
      loading.current = false;
    });
  }, [firstIndex, props.hasOlder, list.length]);

  return (
    <div class="messages" ref={scroller} role="log" aria-live="off" aria-label="Messages" tabIndex={0}>
      <div style={{ height: `${virtualizer.getTotalSize()}px`, position: "relative" }}>
        {items.map((item) => {
          const row = list[item.index]!;
          return (
            <div
              key={row.key}
              data-index={item.index}
              ref={virtualizer.measureElement}
              class="row"
              style={{ transform: `translateY(${item.start}px)` }}
            >
              {row.day !== undefined && <p class="day" role="separator">{row.day}</p>}
              {row.kind === "system" && <p class="system">{row.text}</p>}
              {row.kind === "message" && (
                <MessageRow model={props.model} message={row.message} actions={props.actions} highlighted={props.focus?.seq === row.message.seq} />
              )}
              {row.kind === "pending" && <PendingRow model={props.model} record={row.record} />}
            </div>
          );
        })}
      </div>
    </div>
  );
}
