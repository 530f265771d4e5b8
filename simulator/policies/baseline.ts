// Carbon-blind: pods go to the scheduler as created; only the default profile decides.
import type { PolicySteps } from '../engine/steps.js';
import { jobPod } from './jobPod.js';

export function baselinePolicy(): PolicySteps {
  return { name: 'baseline', admit: (job) => jobPod(job) };
}
