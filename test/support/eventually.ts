// Waiting for a condition in unit tests: the deadline is generous and only guards a hang; the
// tests assert the state reached, never the time it took.

/** Polls `check` every `everyMs` until it holds; throws naming `what` after `deadlineMs`. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, deadlineMs = 20_000, everyMs = 25): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
