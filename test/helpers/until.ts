// Polling for the end-to-end tests: real processes answer when they answer.

/**
 * Polls `f` until it returns something other than undefined, null or false, and returns that;
 * throws naming `what` once `timeoutMs` has passed.
 */
export async function until<T>(what: string, f: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
