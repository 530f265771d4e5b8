// Cost of one placement decision for the Deployment pod over the 100-zone inventory: the pure
// core alone, with the patch built, and the whole mutation handler (which also checks the patch).
import type { V1Pod } from '@kubernetes/client-node';
import { mutatePod, type PlacementContext } from '../../webhook/admission/mutate.js';
import type { AdmissionRequest } from '../../webhook/admission/review.js';
import { loadConfig } from '../../webhook/config/config.js';
import { buildPatch } from '../../webhook/patch/buildPatch.js';
import { decidePlacement } from '../../webhook/placement/decide.js';
import { describeDecision } from '../../webhook/placement/describe.js';
import { podFacts } from '../../webhook/placement/podFacts.js';
import type { IntensityTable, ZoneCapacity } from '../../webhook/placement/types.js';
import { deploymentPodReview } from '../fixtures/deploymentPod.js';
import { timePerCall, type BatchTiming } from './timing.js';

export interface PlacementCost {
  zones: number;
  preferredTerms: number;
  patchOps: number;
  patchBytes: number;
  decide: BatchTiming;
  decideAndPatch: BatchTiming;
  mutatePod: BatchTiming;
}

export function measurePlacementCost(zones: readonly ZoneCapacity[], table: IntensityTable, callsPerBatch = 2000): PlacementCost {
  const request = (deploymentPodReview('bench-uid') as { request: AdmissionRequest }).request;
  const pod = request.object as V1Pod;
  const config = loadConfig({}).placement;
  const facts = podFacts(pod);
  const decision = decidePlacement(facts, zones, table, config);
  const patch = buildPatch(pod, decision, describeDecision(decision));
  const ctx: PlacementContext = { zones: () => zones, table: () => table, config: () => config, now: () => Date.now() };
  return {
    zones: zones.length,
    preferredTerms: decision.preferred.length,
    patchOps: patch.length,
    patchBytes: JSON.stringify(patch).length,
    decide: timePerCall(() => decidePlacement(podFacts(pod), zones, table, config), callsPerBatch),
    decideAndPatch: timePerCall(() => {
      const d = decidePlacement(podFacts(pod), zones, table, config);
      return buildPatch(pod, d, describeDecision(d));
    }, callsPerBatch),
    mutatePod: timePerCall(() => mutatePod(request, ctx), callsPerBatch),
  };
}
