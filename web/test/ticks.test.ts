import { describe, expect, it } from "vitest";
import { advance, applyReceipt, tickFromReceipts, type Tick } from "../src/client/ticks";

const ORDER: Tick[] = ["pending", "sent", "delivered", "read"];

describe("tick state machine", () => {
  it("only ever moves forwards", () => {
    for (const [i, from] of ORDER.entries()) {
      for (const [j, to] of ORDER.entries()) {
        expect(advance(from, to)).toBe(ORDER[Math.max(i, j)]);
      }
    }
  });

  it("keeps receipt marks monotonic, whatever order receipts arrive in", () => {
    let marks = applyReceipt({}, "bob", "read", 5);
    marks = applyReceipt(marks, "bob", "delivered", 3); // late, lower: changes nothing
    marks = applyReceipt(marks, "bob", "read", 2);
    expect(marks).toEqual({ bob: { delivered: 5, read: 5 } });
  });

  it("direct chat: delivered, then read, by the one recipient", () => {
    let marks = applyReceipt({}, "bob", "delivered", 4);
    expect(tickFromReceipts(4, ["bob"], marks)).toBe("delivered");
    expect(tickFromReceipts(5, ["bob"], marks)).toBe("sent");
    marks = applyReceipt(marks, "bob", "read", 5);
    expect(tickFromReceipts(4, ["bob"], marks)).toBe("read");
    expect(tickFromReceipts(5, ["bob"], marks)).toBe("read");
  });

  it("group: delivered and read only once every recipient is", () => {
    let marks = applyReceipt({}, "bob", "read", 7);
    expect(tickFromReceipts(7, ["bob", "carol"], marks)).toBe("sent");
    marks = applyReceipt(marks, "carol", "delivered", 7);
    expect(tickFromReceipts(7, ["bob", "carol"], marks)).toBe("delivered");
    marks = applyReceipt(marks, "carol", "read", 9);
    expect(tickFromReceipts(7, ["bob", "carol"], marks)).toBe("read");
  });

  it("a recipient joining later cannot take a tick back once advanced", () => {
    const marks = applyReceipt({}, "bob", "read", 3);
    const before = tickFromReceipts(3, ["bob"], marks);
    const recomputed = tickFromReceipts(3, ["bob", "dave"], marks);
    expect(recomputed).toBe("sent");
    expect(advance(before, recomputed)).toBe("read");
  });
});
