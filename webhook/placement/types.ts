// Types of the pure placement core, shared by the webhook, the controllers and the simulator.
import type { IntensityTable } from '../../poller/table.js';

export type { IntensityTable };

export type PlacementMode = 'prefer' | 'require' | 'off';
export type ScoringStrategy = 'linear' | 'exponential' | 'threshold';

/** One topology zone of the cluster, with the grid it draws power from. */
export interface ZoneCapacity {
  /** Value of topology.kubernetes.io/zone on its nodes. */
  zone: string;
  /** Grid zone id the nodes draw from (Electricity Maps id). */
  grid: string;
  nodes: number;
  /** Allocatable CPU summed over the zone's nodes, millicores. */
  cpuMillis: number;
}

export interface PlacementConfig {
  strategy: ScoringStrategy;
  /** 0-100: the largest preferred weight we hand the scheduler; 0 disables preferences. */
  carbonWeight: number;
  /** gCO2eq/kWh: zones above it are dirty (require mode, threshold strategy). */
  thresholdG: number;
  /** Mode for pods without a carbon-kube.io/mode annotation. */
  defaultMode: PlacementMode;
  /** Exponential strategy: score distance (gCO2eq/kWh x cores) at which the weight falls to 1/e. */
  exponentialScale: number;
  /** Gate deferrable pods for a greener window (false: never gate; the controller releases all). */
  gatesEnabled?: boolean;
  /** A window must be at least this much cleaner than now to be worth waiting for (fraction). */
  gateMinImprovement?: number;
  /**
   * At its window, a gated pod whose preferred zone has no node with room waits for room (every
   * pass, never past its deadline) instead of landing in a dirty zone. Off by default: the contract
   * releases a pod at its window or deadline, whichever comes first (GATE_WAIT_FOR_ROOM).
   */
  gateWaitForRoom?: boolean;
}

/**
 * Why a pod must be left exactly as it came (no patch, no gate, no decision annotation): nobody
 * schedules it, or we already mutated it and the apiserver is re-invoking us.
 */
export type HandsOffReason = 'mirror pod' | 'daemonset pod' | 'node already chosen' | 'already decided';

/** Why a decision steers nothing, in the words of the decision annotation (see outcome.ts for the metric's). */
export type SkipReason = HandsOffReason | 'mode off' | 'no zones known' | 'no intensity for any zone' | 'no zone is cleaner than another';

/** What the core needs to know about a pod. */
export interface PodFacts {
  cpuMillis: number;
  /** Set when the pod must not be changed at all. */
  handsOff?: HandsOffReason;
  mode?: PlacementMode;
  /** carbon-kube.io/max-intensity, overrides the configured threshold. */
  maxIntensity?: number;
  /** carbon-kube.io/max-delay in seconds: the pod may wait this long for a cleaner window. */
  maxDelayS?: number;
  /**
   * Mounts a PersistentVolumeClaim or an ephemeral volume: once bound, the volume's zone decides
   * where the pod can run, so a zone exclusion could leave it unschedulable.
   */
  volumePinned?: boolean;
}

export interface ZoneScore {
  zone: string;
  grid: string;
  intensity: number;
  /** Emission score: intensity x requested cores. */
  score: number;
}

export interface PreferredZone {
  zone: string;
  /** 1..100, as the scheduler takes it. */
  weight: number;
  intensity: number;
}

export interface PlacementDecision {
  mode: PlacementMode;
  thresholdG: number;
  /** Preferred zones, cleanest first. Empty when there is nothing to prefer. */
  preferred: PreferredZone[];
  /** require mode: zones to exclude with a required term (empty when none or when no zone is clean). */
  excludedZones: string[];
  /** Zones of the cluster whose grid has no intensity in the table. */
  unknownZones: string[];
  /** Why nothing was done, when nothing was. */
  skipReason?: SkipReason;
  /** require mode: why dirty zones were not excluded though some were (the pod's volumes). */
  exclusionWaived?: string;
  /** Set when the pod must get no patch at all, not even the decision annotation. */
  handsOff?: HandsOffReason;
}
