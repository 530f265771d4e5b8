// The HTTP layer of an admission endpoint: decode, call the handler, encode. Nothing else.
import type { Request, Response } from 'express';
import { decodeReview, encodeResponse, MalformedReviewError, type AdmissionRequest, type AdmissionVerdict } from '../admission/review.js';
import type { Logger } from '../log.js';
import type { WebhookMetrics } from './metrics.js';

export type AdmissionHandler = (req: AdmissionRequest) => AdmissionVerdict;

const FAIL_OPEN: AdmissionVerdict = { allowed: true, warnings: ['carbon-kube could not decide and left this object unchanged'] };

/**
 * Any fault of ours, in the handler or in encoding its answer, answers "allowed, unchanged": with
 * failurePolicy Ignore the apiserver would do the same, but answering keeps the pod from waiting
 * out the timeout.
 */
export function admissionRoute(endpoint: string, handler: AdmissionHandler, metrics: WebhookMetrics, log: Logger): (httpReq: Request, res: Response) => void {
  return (httpReq: Request, res: Response): void => {
    const stop = timer(metrics, endpoint);
    let request: AdmissionRequest;
    try {
      request = decodeReview(httpReq.body);
    } catch (err) {
      const message = err instanceof MalformedReviewError ? err.message : 'unreadable AdmissionReview';
      stop('malformed');
      res.status(400).json({ error: `malformed AdmissionReview: ${message}` });
      return;
    }
    const { body, outcome } = answer(request, handler, (err) => log.error('admission handler failed; allowing unchanged', { endpoint, uid: request.uid, error: errorText(err) }));
    // A dry run gets the same answer and leaves no trace: its timing is never observed.
    if (request.dryRun !== true) stop(outcome);
    res.status(200).type('application/json').send(body);
  };
}

/** The encoded answer; the fail-open one only needs the uid, a checked string, so it cannot throw. */
function answer(request: AdmissionRequest, handler: AdmissionHandler, onError: (err: unknown) => void): { body: string; outcome: string } {
  try {
    const verdict = handler(request);
    return { body: JSON.stringify(encodeResponse(request.uid, verdict)), outcome: outcomeOf(verdict) };
  } catch (err) {
    onError(err);
    return { body: JSON.stringify(encodeResponse(request.uid, FAIL_OPEN)), outcome: 'error' };
  }
}

function outcomeOf(verdict: AdmissionVerdict): string {
  if (!verdict.allowed) return 'denied';
  return verdict.patch?.length ? 'patched' : 'allowed';
}

/** Metrics are best effort: a failing observation must not turn into a refused pod. */
function timer(metrics: WebhookMetrics, endpoint: string): (outcome: string) => void {
  try {
    const stop = metrics.admissionDuration.startTimer({ endpoint });
    return (outcome) => {
      try {
        stop({ outcome });
      } catch {
        // dropped: the answer matters more than its timing
      }
    };
  } catch {
    return () => {};
  }
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
