// What the apiserver itself recorded about its calls to our webhooks: the admission counters on
// its /metrics and the warning it logs for every call it fails open. The fault suites assert on
// these (what happened, and why) instead of on how long a create took.
import { openSync, readSync, closeSync, statSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { join } from 'node:path';
import type { ControlPlane } from '../harness/controlPlane.js';
import { httpsGet } from '../harness/wait.js';
import { metricSum } from './webhookProcess.js';

/** The apiserver's admission-webhook counters at one moment. */
export class WebhookCounters {
  private constructor(private readonly text: string) {}

  static async read(cp: ControlPlane): Promise<WebhookCounters> {
    return new WebhookCounters(await apiserverMetrics(cp));
  }

  /** Calls to `webhook` that failed (error, timeout, refused) and were admitted anyway (failurePolicy Ignore). */
  failOpens(webhook: string): number {
    return metricSum(this.text, 'apiserver_admission_webhook_fail_open_count', { name: webhook });
  }

  /** Calls to `webhook` the apiserver made, by its labels (code: the HTTP status the webhook answered, ...). */
  calls(webhook: string, labels: Record<string, string> = {}): number {
    return metricSum(this.text, 'apiserver_admission_webhook_request_total', { name: webhook, ...labels });
  }
}

/** The apiserver's /metrics, read with the admin credentials of the control plane. */
export async function apiserverMetrics(cp: ControlPlane): Promise<string> {
  const tls: RequestOptions = {};
  await cp.kubeConfig().applyToHTTPSOptions(tls);
  const res = await httpsGet(`${cp.server}/metrics`, { ca: pem(tls.ca), cert: pem(tls.cert), key: pem(tls.key) });
  if (res.status !== 200) throw new Error(`GET ${cp.server}/metrics: HTTP ${res.status}`);
  return res.body;
}

/** The client hands PEM over as a Buffer or a string (a list of them is not used for one kubeconfig user). */
function pem(value: RequestOptions['ca'] | RequestOptions['key']): string | undefined {
  if (typeof value === 'string') return value;
  return Buffer.isBuffer(value) ? value.toString('utf8') : undefined;
}

/** The kube-apiserver log from a mark on (the harness writes it to <dir>/logs/kube-apiserver.log). */
export class ApiserverLog {
  private constructor(
    private readonly file: string,
    private readonly from: number,
  ) {}

  /** Marks the current end of the log: later reads see only what the apiserver wrote after it. */
  static mark(cp: ControlPlane): ApiserverLog {
    const file = join(cp.dir, 'logs', 'kube-apiserver.log');
    return new ApiserverLog(file, statSync(file).size);
  }

  /**
   * The error behind each call to `webhook` that the apiserver failed open since the mark, in
   * order: it logs "Failed calling webhook, failing open <name>: <error>" for every one.
   */
  failOpenReasons(webhook: string): string[] {
    const marker = `failing open ${webhook}: `;
    return this.text()
      .split('\n')
      .flatMap((line) => {
        const at = line.indexOf(marker);
        return at < 0 ? [] : [line.slice(at + marker.length)];
      });
  }

  private text(): string {
    const size = statSync(this.file).size - this.from;
    if (size <= 0) return '';
    const buf = Buffer.alloc(size);
    const fd = openSync(this.file, 'r');
    try {
      readSync(fd, buf, 0, size, this.from);
    } finally {
      closeSync(fd);
    }
    return buf.toString('utf8');
  }
}
