// Mutation: decide placement for a new pod and express it as a patch.
import type { V1Pod } from '@kubernetes/client-node';
import { decidePlacement } from '../placement/decide.js';
import { describeDecision } from '../placement/describe.js';
import { podFacts } from '../placement/podFacts.js';
import type { IntensityTable, PlacementConfig, PlacementDecision, ZoneCapacity } from '../placement/types.js';
import { buildPatch } from '../patch/buildPatch.js';
import { applyPatch, deepClone } from '../patch/jsonPatch.js';
import { isCorePod, type AdmissionRequest, type AdmissionVerdict } from './review.js';

/** What a decision reads, fetched per request so a refreshed table or inventory applies at once. */
export interface PlacementContext {
  zones(): readonly ZoneCapacity[];
  table(): IntensityTable;
  config(): PlacementConfig;
}

export interface MutationResult {
  verdict: AdmissionVerdict;
  /** Set when a placement decision was made (absent for requests we pass through). */
  decision?: PlacementDecision;
}

const ALLOW: AdmissionVerdict = { allowed: true };

export function mutatePod(req: AdmissionRequest, ctx: PlacementContext): MutationResult {
  // Affinity is immutable after creation, so only CREATE of a pod itself can be steered.
  if (!isCorePod(req) || req.operation !== 'CREATE' || !req.object) return { verdict: ALLOW };
  const pod = req.object as V1Pod;
  const decision = decidePlacement(podFacts(pod), ctx.zones(), ctx.table(), ctx.config());
  if (decision.mode === 'off') return { verdict: ALLOW, decision };
  const patch = buildPatch(pod, decision, describeDecision(decision));
  assertApplies(pod, patch);
  return { verdict: patch.length > 0 ? { allowed: true, patch } : ALLOW, decision };
}

/** A patch the apiserver would reject fails the pod; check it here so the fault stays ours. */
function assertApplies(pod: V1Pod, patch: AdmissionVerdict['patch']): void {
  // Both copied: applying would otherwise link op values into the document and let later ops grow them.
  if (patch && patch.length > 0) applyPatch(deepClone(pod), deepClone(patch) as typeof patch, true, true);
}
