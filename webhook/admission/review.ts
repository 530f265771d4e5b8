// AdmissionReview admission.k8s.io/v1: decoding requests and encoding responses exactly.
import type { Operation } from '../patch/jsonPatch.js';

export const REVIEW_API_VERSION = 'admission.k8s.io/v1';

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  resource?: { group: string; version: string; resource: string };
  subResource?: string;
  name?: string;
  namespace?: string;
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  object?: Record<string, unknown> | null;
  oldObject?: Record<string, unknown> | null;
  dryRun?: boolean;
}

/** What a handler decides; the codec turns it into the wire response. */
export interface AdmissionVerdict {
  allowed: boolean;
  patch?: Operation[];
  status?: { code: number; reason?: string; message: string };
  warnings?: string[];
}

export interface AdmissionReviewResponse {
  apiVersion: string;
  kind: 'AdmissionReview';
  response: {
    uid: string;
    allowed: boolean;
    patchType?: 'JSONPatch';
    patch?: string;
    status?: { code: number; reason?: string; message: string };
    warnings?: string[];
  };
}

export class MalformedReviewError extends Error {}

const OPERATIONS = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];

/** Throws MalformedReviewError with a message saying what is missing or wrong. */
export function decodeReview(body: unknown): AdmissionRequest {
  if (!isRecord(body)) throw new MalformedReviewError('body must be a JSON object (an AdmissionReview)');
  if (body.kind !== 'AdmissionReview') throw new MalformedReviewError(`kind must be "AdmissionReview", got ${show(body.kind)}`);
  if (body.apiVersion !== REVIEW_API_VERSION) {
    throw new MalformedReviewError(`apiVersion must be "${REVIEW_API_VERSION}", got ${show(body.apiVersion)}`);
  }
  const req = body.request;
  if (!isRecord(req)) throw new MalformedReviewError('request must be an object');
  checkRequest(req);
  return req as unknown as AdmissionRequest;
}

function checkRequest(req: Record<string, unknown>): void {
  if (typeof req.uid !== 'string' || req.uid === '') throw new MalformedReviewError('request.uid must be a non-empty string');
  if (typeof req.operation !== 'string' || !OPERATIONS.includes(req.operation)) {
    throw new MalformedReviewError(`request.operation must be one of ${OPERATIONS.join(', ')}, got ${show(req.operation)}`);
  }
  const kind = req.kind;
  if (!isRecord(kind) || typeof kind.kind !== 'string' || typeof kind.version !== 'string') {
    throw new MalformedReviewError('request.kind must be an object with group, version and kind');
  }
  checkObjects(req);
}

function checkObjects(req: Record<string, unknown>): void {
  for (const field of ['object', 'oldObject'] as const) {
    if (req[field] !== undefined && req[field] !== null && !isRecord(req[field])) {
      throw new MalformedReviewError(`request.${field} must be an object or null`);
    }
  }
}

export function encodeResponse(uid: string, verdict: AdmissionVerdict): AdmissionReviewResponse {
  const response: AdmissionReviewResponse['response'] = { uid, allowed: verdict.allowed };
  // patchType must accompany a patch and must be absent without one.
  if (verdict.patch && verdict.patch.length > 0) {
    response.patchType = 'JSONPatch';
    response.patch = Buffer.from(JSON.stringify(verdict.patch)).toString('base64');
  }
  if (verdict.status) response.status = verdict.status;
  if (verdict.warnings && verdict.warnings.length > 0) response.warnings = verdict.warnings;
  return { apiVersion: REVIEW_API_VERSION, kind: 'AdmissionReview', response };
}

export function isCorePod(req: AdmissionRequest): boolean {
  return (req.kind.group ?? '') === '' && req.kind.kind === 'Pod' && !req.subResource;
}

export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function show(x: unknown): string {
  return x === undefined ? 'nothing' : JSON.stringify(x).slice(0, 80);
}
