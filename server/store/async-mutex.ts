/**
 * A first-come, first-served async mutex. Runs anywhere (plain promises).
 *
 * Guarantees: tasks run one at a time, in the order `run` was called; a task that throws or
 * rejects does not stop the ones queued after it; `idle()` resolves once everything queued so far
 * has finished.
 */
export class AsyncMutex {
  private tail: Promise<void> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  idle(): Promise<void> {
    return this.tail;
  }
}
