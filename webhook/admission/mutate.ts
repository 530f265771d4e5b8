// Mutation: decide placement (and, for deferrable pods, a green window) and express it as a patch.
import type { V1Pod } from '@kubernetes/client-node';
import { decidePlacement } from '../placement/decide.js';
import { describeDecision } from '../placement/describe.js';
import { chooseGreenWindow, type GreenWindow } from '../placement/greenWindow.js';
import { decisionOutcome, type CountedOutcome } from '../placement/outcome.js';
import { podFacts } from '../placement/podFacts.js';
import type { IntensityTable, PlacementConfig, PlacementDecision, PodFacts, ZoneCapacity } from '../placement/types.js';
import { planPatch, type GatePlan } from '../patch/buildPatch.js';
import { isCorePod, type AdmissionRequest, type AdmissionVerdict } from './review.js';

/** What a decision reads, fetched per request so a refreshed table or inventory applies at once. */
export interface PlacementContext {
  zones(): readonly ZoneCapacity[];
  table(): IntensityTable;
  config(): PlacementConfig;
  /** ms since epoch */
  now?(): number;
  /** carbon-kube.io annotations of the pod's namespace: defaults for its pods. */
  namespaceDefaults?(namespace: string): Readonly<Record<string, string>>;
}

export interface MutationResult {
  verdict: AdmissionVerdict;
  /** Set when a placement decision was made (absent for requests we pass through). */
  decision?: PlacementDecision;
  /** With every decision: steered, unchanged or skipped, and why, from what the patch really added. */
  outcome?: CountedOutcome;
  window?: GreenWindow;
}

const ALLOW: AdmissionVerdict = { allowed: true };

export function mutatePod(req: AdmissionRequest, ctx: PlacementContext): MutationResult {
  const pod = creatingPod(req);
  if (!pod) return { verdict: ALLOW };
  const facts = podFacts(pod, namespaceDefaults(req, pod, ctx));
  const config = ctx.config();
  const decision = decidePlacement(facts, ctx.zones(), ctx.table(), config);
  // Hands-off pods (nobody schedules them, or we already decided) and mode off get no patch at all.
  if (decision.mode === 'off' || decision.handsOff) return { verdict: ALLOW, decision, outcome: decisionOutcome(decision, undefined) };
  const window = greenWindowFor(facts, ctx, config);
  // planPatch applies and validates every op on a copy as it plans, so an op the apiserver
  // would reject throws here and the caller allows the pod unchanged.
  const { ops: patch, steering } = planPatch(pod, decision, describeDecision(decision, windowText(window)), window && gatePlan(window));
  const outcome = decisionOutcome(decision, steering);
  return { verdict: patch.length > 0 ? { allowed: true, patch } : ALLOW, decision, outcome, ...(window ? { window } : {}) };
}

/** Affinity is immutable after creation, so only CREATE of a pod itself can be steered. */
function creatingPod(req: AdmissionRequest): V1Pod | undefined {
  return isCorePod(req) && req.operation === 'CREATE' && req.object ? req.object : undefined;
}

function namespaceDefaults(req: AdmissionRequest, pod: V1Pod, ctx: PlacementContext): Readonly<Record<string, string>> {
  return ctx.namespaceDefaults?.(req.namespace ?? pod.metadata?.namespace ?? '') ?? {};
}

function gatePlan(window: GreenWindow): GatePlan {
  return { releaseAt: isoSeconds(window.releaseAt), deadline: isoSeconds(window.deadline) };
}

function windowText(window: GreenWindow | undefined): string[] {
  if (!window) return [];
  return [`gate until ${isoMinutes(window.releaseAt)} (${Math.round(window.windowIntensity)}g vs ${Math.round(window.nowIntensity)}g now)`];
}

function greenWindowFor(facts: PodFacts, ctx: PlacementContext, config: PlacementConfig): GreenWindow | undefined {
  if (config.gatesEnabled === false || facts.maxDelayS === undefined) return undefined;
  return chooseGreenWindow({
    now: ctx.now?.() ?? Date.now(),
    maxDelayS: facts.maxDelayS,
    zones: ctx.zones(),
    table: ctx.table(),
    ...(config.gateMinImprovement !== undefined ? { minImprovement: config.gateMinImprovement } : {}),
  });
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function isoMinutes(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16) + 'Z';
}
