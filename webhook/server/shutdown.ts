// Graceful stop: fail readiness, let endpoints drain, then close without cutting requests.
import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';

export interface ShutdownPlan {
  servers: Array<Server | HttpsServer>;
  markUnready(): void;
  drainMs: number;
  /** Requests still open after this are cut. */
  forceAfterMs?: number;
  /** Background work (poller, watchers) to stop once no request can arrive. */
  stopBackground?: () => Promise<void> | void;
}

export async function shutdown(plan: ShutdownPlan): Promise<void> {
  plan.markUnready();
  // Endpoints controllers and load balancers need time to notice we are not ready.
  await delay(plan.drainMs);
  const closing = plan.servers.map(
    (s) =>
      new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeIdleConnections();
      }),
  );
  const force = setTimeout(() => plan.servers.forEach((s) => s.closeAllConnections()), plan.forceAfterMs ?? 10_000);
  await Promise.all(closing);
  clearTimeout(force);
  await plan.stopBackground?.();
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
