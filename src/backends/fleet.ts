// A fleet of model servers as one Backend. Each request goes to a member with a free slot
// (slots read from the server's /props, or /slots, polled at most once a poll interval, and
// the requests this process has in flight there); requests with the same affinity key (the
// conversation, or a repository via bind()) stay on the member that served the last one while
// it has room, so that server's prompt cache stays warm. A member that refuses connections or
// answers 5xx before any text is taken out for a backoff that doubles on each failure, and the
// request moves to another member; a member may cap its request rate (a token bucket).
// Like every backend, it never throws once called: failures arrive as `error` events.
import { LRUCache } from 'lru-cache';
import { backoffDelay, type BackoffPolicy } from '../backoff.js';
import { LocoError, toLocoError } from '../errors.js';
import type { Backend, BackendEvent, BackendRequest } from './types.js';

/** A server's slots, as its /props (or /slots) reports them. */
export interface SlotReport {
  total: number;
  /** Undefined when the server does not say. */
  inUse?: number;
  /** Requests queued on the server beyond its slots. */
  waiting?: number;
}

export interface FleetMemberOptions {
  backend: Backend;
  /** Reads the server's slots; absent: the member has `slots` slots. */
  probe?: (signal: AbortSignal) => Promise<SlotReport>;
  /** Slots while no probe has answered (default 4). */
  slots?: number;
  /** Most requests started per second on this member (default: no limit). */
  requestsPerSecond?: number;
}

export interface FleetOptions {
  members: FleetMemberOptions[];
  /** Least time between two reads of a member's slots (default 250 ms). */
  pollIntervalMs?: number;
  /** How long a dead member stays out: doubles per failure, with jitter (default 1 s to 30 s). */
  deadBackoff?: BackoffPolicy;
  random?: () => number;
}

/** What a fleet reports about one member, for status lines and tests. */
export interface FleetMemberState {
  description: string;
  slots: number;
  inFlight: number;
  /** Slots the server itself reported busy (others' requests included) at the last read. */
  reportedBusy: number;
  alive: boolean;
  /** Requests this fleet sent to it. */
  served: number;
  failures: number;
}

export interface FleetBackend extends Backend {
  /** A view whose requests all carry `key` for affinity (e.g. a repository's path). */
  bind(key: string): Backend;
  members(): FleetMemberState[];
}

interface Member {
  options: FleetMemberOptions;
  backend: Backend;
  probe?: FleetMemberOptions['probe'];
  slots: number;
  reportedBusy: number;
  /** Busy slots that are not this fleet's requests (other clients), at the last read. */
  others: number;
  inFlight: number;
  served: number;
  failures: number;
  deadUntil: number;
  tokens: number;
  tokensAt: number;
}

const DEFAULT_SLOTS = 4;
const PROBE_TIMEOUT_MS = 2_000;
const AFFINITY_KEYS = 10_000;
/** How often slots are read while every slot looks taken. */
const SATURATED_POLL_MS = 50;

/** A failure that says the server is down, not that this request was bad. */
export function isServerDown(error: LocoError): boolean {
  return error.code === 'backend-unreachable' || (error.code === 'backend-http' && (error.status ?? 0) >= 500);
}

export function createFleetBackend(options: FleetOptions): FleetBackend {
  if (options.members.length === 0) throw new LocoError('usage', 'a fleet needs at least one backend: pass --backend more than once');
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const deadBackoff = options.deadBackoff ?? { baseDelayMs: 1_000, maxDelayMs: 30_000 };
  const members: Member[] = options.members.map((member) => ({
    options: member,
    backend: member.backend,
    probe: member.probe,
    slots: member.slots ?? DEFAULT_SLOTS,
    reportedBusy: 0,
    others: 0,
    inFlight: 0,
    served: 0,
    failures: 0,
    deadUntil: 0,
    tokens: member.requestsPerSecond ?? 0,
    tokensAt: Date.now(),
  }));
  const affinity = new LRUCache<string, Member>({ max: AFFINITY_KEYS });
  const waiters = new Set<() => void>();
  let lastRefresh = 0;
  let refreshing: Promise<void> | undefined;
  let closed = false;

  const wake = () => {
    for (const resolve of [...waiters]) resolve();
  };

  function markDead(member: Member): void {
    member.failures += 1;
    member.deadUntil = Date.now() + backoffDelay(member.failures, deadBackoff, options.random);
    // Its conversations move elsewhere: their cache there is gone anyway.
    for (const [key, holder] of affinity.entries()) if (holder === member) affinity.delete(key);
  }

  async function probeMember(member: Member): Promise<void> {
    if (!member.probe) return;
    const inFlightBefore = member.inFlight;
    try {
      const report = await member.probe(AbortSignal.timeout(PROBE_TIMEOUT_MS));
      member.slots = Math.max(1, report.total);
      member.reportedBusy = (report.inUse ?? 0) + (report.waiting ?? 0);
      // The report counts our own requests too; what is left is other clients' (other workers').
      // Ours may have started or ended while the read was on its way: count the larger number
      // as ours, so a request that just ended is not mistaken for another client's.
      member.others = Math.max(0, member.reportedBusy - Math.max(inFlightBefore, member.inFlight));
    } catch (error) {
      const failure = toLocoError(error, 'backend-unreachable');
      if (isServerDown(failure) || failure.code === 'backend-timeout') markDead(member);
      // Any other answer (404: no /props) means the server cannot say: count our own requests.
      else member.probe = undefined;
    }
  }

  /** Reads every member's slots, at most once per poll interval, shared by concurrent callers. */
  function refresh(minimumAgeMs = pollIntervalMs): Promise<void> {
    const now = Date.now();
    if (refreshing) return refreshing;
    if (now - lastRefresh < minimumAgeMs) return Promise.resolve();
    lastRefresh = now;
    refreshing = Promise.all(members.filter((member) => member.deadUntil <= now).map(probeMember)).then(() => {
      refreshing = undefined;
    });
    return refreshing;
  }

  function refill(member: Member, now: number): void {
    const rate = member.options.requestsPerSecond;
    if (rate === undefined) return;
    member.tokens = Math.min(Math.max(1, rate), member.tokens + ((now - member.tokensAt) / 1000) * rate);
    member.tokensAt = now;
  }

  const free = (member: Member) => member.slots - member.others - member.inFlight;
  const rateAllows = (member: Member) => member.options.requestsPerSecond === undefined || member.tokens >= 1;

  /** The key's server while it has a free slot; else the one with most free slots (among equals the one that served least, so load spreads); none when every slot is taken. */
  function choose(candidates: Member[], key: string | undefined): Member | undefined {
    const usable = candidates.filter((member) => free(member) > 0 && rateAllows(member));
    const held = key === undefined ? undefined : affinity.get(key);
    if (held !== undefined && usable.includes(held)) return held;
    return usable.sort((a, b) => free(b) - free(a) || a.inFlight - b.inFlight || a.served - b.served)[0];
  }

  /** Resolves after `ms`, on a freed slot or on abort, whichever comes first. */
  function waitForChange(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(1, ms));
      waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** A member with a free slot, a LocoError when every member left to try is down, undefined on abort. */
  async function acquire(key: string | undefined, tried: Set<Member>, signal: AbortSignal | undefined): Promise<Member | LocoError | undefined> {
    for (;;) {
      if (signal?.aborted || closed) return undefined;
      await refresh();
      const now = Date.now();
      const untried = members.filter((member) => !tried.has(member));
      const alive = untried.filter((member) => member.deadUntil <= now);
      if (alive.length === 0) {
        const soonest = Math.min(...members.map((member) => member.deadUntil));
        const seconds = Math.max(0, Math.ceil((soonest - now) / 1000));
        return new LocoError('backend-unreachable', `every server of the fleet is down or failed this request (${members.length} tried); the next one is retried in ${seconds} s`, { retryable: true });
      }
      for (const member of alive) refill(member, now);
      const pick = choose(alive, key);
      if (pick) {
        pick.inFlight += 1;
        pick.served += 1;
        if (pick.options.requestsPerSecond !== undefined) pick.tokens -= 1;
        if (key !== undefined) affinity.set(key, pick);
        return pick;
      }
      // Every slot looks taken, maybe by other clients: read the servers again soon rather than
      // at the next poll, so a slot another worker freed does not sit idle long.
      await refresh(SATURATED_POLL_MS / 2);
      if (choose(alive.filter((member) => member.deadUntil <= Date.now()), key)) continue;
      // Wake at the next read, the next token, or when a request here ends.
      const tokenWaits = alive.filter((member) => member.options.requestsPerSecond !== undefined && !rateAllows(member)).map((member) => ((1 - member.tokens) / (member.options.requestsPerSecond ?? 1)) * 1000);
      await waitForChange(Math.min(pollIntervalMs, SATURATED_POLL_MS, ...tokenWaits), signal);
    }
  }

  function release(member: Member): void {
    member.inFlight -= 1;
    wake();
  }

  async function* stream(request: BackendRequest, signal: AbortSignal | undefined, boundKey: string | undefined): AsyncGenerator<BackendEvent> {
    const key = boundKey ?? request.conversationId;
    const tried = new Set<Member>();
    for (;;) {
      const member = await acquire(key, tried, signal);
      if (member === undefined) return yield { type: 'finish', reason: 'aborted', usage: { promptTokens: 0, cachedTokens: 0, completionTokens: 0 }, text: '' };
      if (member instanceof LocoError) return yield { type: 'error', error: member };
      let started = false;
      let failover: LocoError | undefined;
      try {
        for await (const event of member.backend.stream(request, signal)) {
          if (event.type === 'error' && isServerDown(event.error)) {
            // Nothing reached the caller yet: the request can move to another member.
            if (!started) {
              failover = event.error;
              break;
            }
            markDead(member);
          }
          if (event.type === 'text-delta') started = true;
          if (event.type === 'finish') member.failures = 0;
          yield event;
        }
      } catch (error) {
        // A member that throws breaks the contract; the fleet still does not.
        return yield { type: 'error', error: toLocoError(error, 'internal') };
      } finally {
        release(member);
      }
      if (failover === undefined) return;
      markDead(member);
      tried.add(member);
    }
  }

  const description = `fleet of ${members.length}: ${members.map((member) => member.backend.info.description).join(', ')}`;
  const info = { description };
  return {
    info,
    stream: (request, signal) => stream(request, signal, undefined),
    bind(key) {
      return { info, stream: (request, signal) => stream(request, signal, key), close: async () => undefined };
    },
    members() {
      const now = Date.now();
      return members.map((member) => ({
        description: member.backend.info.description,
        slots: member.slots,
        inFlight: member.inFlight,
        reportedBusy: member.reportedBusy,
        alive: member.deadUntil <= now,
        served: member.served,
        failures: member.failures,
      }));
    },
    async close() {
      closed = true;
      wake();
      await Promise.all(members.map((member) => member.backend.close()));
    },
  };
}

async function getJson(url: string, signal: AbortSignal, apiKey: string | undefined): Promise<unknown> {
  let response: Response;
  try {
    // The same key the completions carry: `loco serve --api-key` guards /props too.
    response = await fetch(url, { signal, headers: apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` } });
  } catch (error) {
    if (signal.aborted) throw new LocoError('backend-timeout', `no answer from ${url} within ${PROBE_TIMEOUT_MS} ms`, { cause: error });
    throw new LocoError('backend-unreachable', `cannot reach ${url}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new LocoError('backend-http', `${url} answered ${response.status}`, { status: response.status });
  }
  return response.json();
}

/**
 * Reads slots from a llama.cpp server or `loco serve`: `/props` gives `total_slots` (and, from
 * loco serve, `slots_in_use` and `requests_waiting`); llama.cpp's `/slots` says which are busy.
 */
export function httpSlotProbe(baseUrl: string, apiKey?: string): (signal: AbortSignal) => Promise<SlotReport> {
  const origin = new URL(baseUrl).origin;
  return async (signal) => {
    const props = (await getJson(`${origin}/props`, signal, apiKey)) as Record<string, unknown>;
    const total = typeof props.total_slots === 'number' ? props.total_slots : undefined;
    if (total === undefined) throw new LocoError('backend-protocol', `${origin}/props has no total_slots`);
    const waiting = typeof props.requests_waiting === 'number' ? props.requests_waiting : undefined;
    if (typeof props.slots_in_use === 'number') return { total, inUse: props.slots_in_use, waiting };
    try {
      const slots = await getJson(`${origin}/slots`, signal, apiKey);
      if (Array.isArray(slots)) return { total, inUse: slots.filter((slot) => (slot as { is_processing?: unknown }).is_processing === true).length, waiting };
    } catch {
      // llama.cpp answers 501 when started without --slots: our own count is all we have.
    }
    return { total, waiting };
  };
}
