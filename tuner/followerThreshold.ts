// Replicas that do not lead do not tune; they read the threshold the leader saved.
import type { Logger } from '../webhook/log.js';
import { guardRails, thresholdFor } from './linearPolicy.js';
import type { ModelStore } from './modelStore.js';
import type { TunerOptions } from './tunerStep.js';

/** The threshold in force per the saved model; the base unless the mode is apply, and on any doubt. */
export async function followerThreshold(
  store: ModelStore,
  tuning: Pick<TunerOptions, 'baseThresholdG' | 'mode' | 'maxStep' | 'maxDeviation'>,
  log: Logger,
): Promise<number> {
  const rails = guardRails(tuning.baseThresholdG, tuning.maxStep, tuning.maxDeviation);
  if (tuning.mode !== 'apply') return rails.baseThresholdG;
  try {
    const saved = await store.load();
    return saved ? thresholdFor(saved.state.appliedOffset, rails) : rails.baseThresholdG;
  } catch (err) {
    log.warn('tuned threshold could not be read; using the base threshold', { error: (err as Error).message, thresholdG: rails.baseThresholdG });
    return rails.baseThresholdG;
  }
}
