// A small fair semaphore for explore runs: as many run at once as the backend has slots
// (the embedded engine's sequences); the rest wait in arrival order. A waiter whose request
// is cancelled leaves the line at once.
export interface RunQueue {
  readonly size: number;
  readonly busy: number;
  readonly waiting: number;
  /** Resolves with a release function, or undefined when the signal aborts first. */
  acquire(signal?: AbortSignal): Promise<(() => void) | undefined>;
}

export function createRunQueue(size: number): RunQueue {
  if (!Number.isInteger(size) || size < 1) throw new Error(`run queue size must be a positive integer (got ${size})`);
  let busy = 0;
  const waiters: Array<() => void> = [];

  function releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      busy--;
      const next = waiters.shift();
      if (next) next();
    };
  }

  return {
    size,
    get busy() {
      return busy;
    },
    get waiting() {
      return waiters.length;
    },
    acquire(signal) {
      if (signal?.aborted) return Promise.resolve(undefined);
      if (busy < size) {
        busy++;
        return Promise.resolve(releaser());
      }
      return new Promise((resolve) => {
        const wake = () => {
          signal?.removeEventListener('abort', leave);
          busy++;
          resolve(releaser());
        };
        const leave = () => {
          const index = waiters.indexOf(wake);
          if (index !== -1) waiters.splice(index, 1);
          resolve(undefined);
        };
        waiters.push(wake);
        signal?.addEventListener('abort', leave, { once: true });
      });
    },
  };
}
