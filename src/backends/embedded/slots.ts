// The context's sequences as slots for conversations. A conversation keeps its slot (and so
// its KV cache) while it is among the most recently used; a request without an id takes the
// unowned slot whose cached tokens share the longest prefix with its prompt (what llama.cpp
// server does), so repeated proxy requests reuse their prefix too. When every slot is busy,
// requests wait in arrival order.
import type { LlamaContextSequence, Token } from 'node-llama-cpp';

export interface Slot {
  readonly index: number;
  readonly sequence: LlamaContextSequence;
  conversationId?: string;
  busy: boolean;
  lastUsed: number;
}

export function commonPrefixLength(a: readonly Token[], b: readonly Token[]): number {
  const limit = Math.min(a.length, b.length);
  let index = 0;
  while (index < limit && a[index] === b[index]) index++;
  return index;
}

interface Waiter {
  wake(): void;
}

export class SlotPool {
  private readonly slots: Slot[];
  private readonly waiters: Waiter[] = [];
  private clock = 0;
  private closed = false;

  constructor(sequences: readonly LlamaContextSequence[]) {
    this.slots = sequences.map((sequence, index) => ({ index, sequence, busy: false, lastUsed: 0 }));
  }

  get size(): number {
    return this.slots.length;
  }

  get busy(): number {
    return this.slots.filter((slot) => slot.busy).length;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** Conversation ids holding a slot, most recent first. */
  conversations(): string[] {
    return this.slots
      .filter((slot) => slot.conversationId !== undefined)
      .sort((a, b) => b.lastUsed - a.lastUsed)
      .map((slot) => slot.conversationId as string);
  }

  /** Resolves with a slot, or undefined when the signal aborts or the pool closes first. */
  async acquire(conversationId: string | undefined, prompt: readonly Token[], signal?: AbortSignal): Promise<Slot | undefined> {
    for (;;) {
      if (this.closed || signal?.aborted) return undefined;
      const slot = this.choose(conversationId, prompt);
      if (slot) {
        slot.busy = true;
        slot.lastUsed = ++this.clock;
        // Another conversation's cache is being overwritten: it no longer owns the slot.
        slot.conversationId = conversationId;
        return slot;
      }
      await new Promise<void>((resolve) => {
        const waiter: Waiter = {
          wake: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        const onAbort = (): void => {
          const position = this.waiters.indexOf(waiter);
          if (position !== -1) this.waiters.splice(position, 1);
          waiter.wake();
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiters.push(waiter);
      });
    }
  }

  release(slot: Slot): void {
    slot.busy = false;
    slot.lastUsed = ++this.clock;
    this.waiters.shift()?.wake();
  }

  /** Wakes every waiter; they find the pool closed. */
  close(): void {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter.wake();
  }

  private choose(conversationId: string | undefined, prompt: readonly Token[]): Slot | undefined {
    const free = this.slots.filter((slot) => !slot.busy);
    if (free.length === 0) return undefined;
    if (conversationId !== undefined) {
      const own = free.find((slot) => slot.conversationId === conversationId);
      if (own) return own;
    }
    // Unowned slots first, the longest shared prefix winning, then the emptiest/oldest.
    let best: Slot | undefined;
    let bestPrefix = -1;
    for (const slot of free) {
      if (slot.conversationId !== undefined) continue;
      const prefix = commonPrefixLength(slot.sequence.contextTokens, prompt);
      if (prefix > bestPrefix || (prefix === bestPrefix && best !== undefined && slot.lastUsed < best.lastUsed)) {
        best = slot;
        bestPrefix = prefix;
      }
    }
    if (best) return best;
    // Every free slot belongs to a conversation: evict the least recently used.
    return free.reduce((oldest, slot) => (slot.lastUsed < oldest.lastUsed ? slot : oldest));
  }
}
