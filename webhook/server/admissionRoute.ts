// The HTTP layer of an admission endpoint: decode, call the handler, encode. Nothing else.
import type { Request, Response } from 'express';
import { decodeReview, encodeResponse, MalformedReviewError, type AdmissionRequest, type AdmissionVerdict } from '../admission/review.js';
import type { Logger } from '../log.js';
import type { WebhookMetrics } from './metrics.js';

export type AdmissionHandler = (req: AdmissionRequest) => AdmissionVerdict;

/**
 * Any fault of ours answers "allowed, unchanged": with failurePolicy Ignore the apiserver would
 * do the same, but answering keeps the pod from waiting out the timeout.
 */
export function admissionRoute(endpoint: string, handler: AdmissionHandler, metrics: WebhookMetrics, log: Logger) {
  return (httpReq: Request, res: Response): void => {
    const stop = metrics.admissionDuration.startTimer({ endpoint });
    let request: AdmissionRequest;
    try {
      request = decodeReview(httpReq.body);
    } catch (err) {
      const message = err instanceof MalformedReviewError ? err.message : 'unreadable AdmissionReview';
      stop({ outcome: 'malformed' });
      res.status(400).json({ error: `malformed AdmissionReview: ${message}` });
      return;
    }
    let verdict: AdmissionVerdict;
    let outcome: string;
    try {
      verdict = handler(request);
      outcome = verdict.allowed ? (verdict.patch?.length ? 'patched' : 'allowed') : 'denied';
    } catch (err) {
      log.error('admission handler failed; allowing unchanged', { endpoint, uid: request.uid, error: errorText(err) });
      verdict = { allowed: true, warnings: ['carbon-kube could not decide and left this object unchanged'] };
      outcome = 'error';
    }
    stop({ outcome });
    res.status(200).json(encodeResponse(request.uid, verdict));
  };
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
